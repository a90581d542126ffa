// The Origin (northbound/origin.h) for an offline bundle packed as a tar archive: a TUF
// repository (N.root.json, timestamp.json, snapshot.json, targets.json, targets/...) as
// `tar -cf` writes it, uncompressed. The archive is indexed once when opened (see
// northbound/tar_index.h for what is refused); fetch() then reads at the indexed offsets.
// Nothing is trusted because it is on the medium: the caller verifies every byte through
// TUF exactly as for a network origin.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "northbound/origin.h"
#include "northbound/tar_index.h"

namespace fleetgate::northbound {

// The repository root inside the archive is the directory of its shallowest
// `timestamp.json` ("timestamp.json", "./timestamp.json" or "repository/timestamp.json").
// Errc::io when the file cannot be read; Errc::invalid_argument (detail "tar_...") when the
// archive is refused or holds no repository.
Result<std::unique_ptr<Origin>> open_tar_origin(const std::string& path,
                                                const TarLimits& limits = {});

}  // namespace fleetgate::northbound
