// The single-page app's files (web/dist), embedded at build time by embed_web.py as gzip
// streams so the binary serves them without files on disk.
#pragma once

#include <cstddef>
#include <string_view>

namespace sremon::dashboards {

struct Asset {
  const char* path;  // "/index.html", "/assets/index-abc123.js"
  const char* content_type;
  const unsigned char* gzip_data;
  size_t gzip_size;
  size_t size;  // uncompressed
};

// nullptr when absent. kAssetCount is 0 when the build ran without the web app (SREMON_WEB=OFF).
const Asset* FindAsset(std::string_view path);
size_t AssetCount();
const Asset* AssetAt(size_t i);

}  // namespace sremon::dashboards
