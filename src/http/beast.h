// The Boost.Asio/Beast headers and short names of the two files of http built on them
// (server.cc, client.cc), kept out of http.h so that nothing else compiles them.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sremon::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

}  // namespace sremon::http
