// Fuzzes the tar indexer of offline bundles: the archive comes from removable media, so
// the indexer must never crash, read outside the archive, or index a file whose bytes lie
// past its end, whatever the headers say.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "northbound/tar_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fleetgate::northbound::TarLimits limits;
  limits.max_entries = 1000;
  auto index = fleetgate::northbound::index_tar(std::span<const uint8_t>(data, size), limits);
  if (index.ok()) {
    for (const auto& [name, e] : index->files) {
      if (name.empty() || name.front() == '/' || e.data_offset > size ||
          e.size > size - e.data_offset || e.header_offset + 512 != e.data_offset) {
        std::abort();
      }
    }
  }
  return 0;
}
