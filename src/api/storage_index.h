// The storage service's home page (`GET /`): an index of its pages and APIs.
#pragma once

#include "http/http.h"

namespace sremon::api {

void RegisterStorageIndex(http::Server& server);

}  // namespace sremon::api
