// Persistent on-disk cache of compiled CUDA programs (cubin or PTX), so a
// second process running the same model makes no NVRTC compile.
//
// Directory: $FUZE_CACHE_DIR, else $XDG_CACHE_HOME/fuze, else ~/.cache/fuze
// (FUZE_CUDA_DISK_CACHE=0 turns the cache off). Missing directories are
// created with mode 0700; a directory not owned by this user or writable by
// group/others is refused (the cache stays off, with a warning).
//
// One file per key, "<fnv1a64(key) in hex>.fzk":
//   char[8]  magic "FUZECUK1"
//   u32      format version (kFormatVersion)
//   u32      key length K
//   u64      payload size P
//   u64      FNV-1a 64 checksum over key bytes then payload bytes
//   K bytes  the key (echoed and compared on read: no silent hash collision)
//   P bytes  payload
// Written to a temp file in the same directory and renamed into place, so a
// reader sees a whole entry or none. On read, any mismatch (magic, version,
// key, size, checksum, truncation) is a reject: logged, counted, and the
// caller recompiles and overwrites the entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuze/support/status.h"

namespace fuze::cuda {

struct CacheStats {
  uint64_t nvrtc_compiles = 0;  // programs compiled by NVRTC in this process
  uint64_t disk_hits = 0;       // entries loaded and verified
  uint64_t disk_misses = 0;     // no entry for the key
  uint64_t disk_rejects = 0;    // entry present but corrupt/tampered/truncated/mismatched
  uint64_t disk_writes = 0;     // entries written
};

CacheStats cache_stats();
void reset_cache_stats();
void count_nvrtc_compile();

uint64_t fnv1a64(const void* data, size_t size, uint64_t hash = 14695981039346656037ull);
std::string hex64(uint64_t v);

// The configured directory ("" when the cache is off); not created here.
std::string default_cache_dir();

class DiskCache {
 public:
  static constexpr uint32_t kFormatVersion = 1;
  enum class Lookup { kHit, kMiss, kReject };

  // dir "" = disabled (every lookup misses, stores are no-ops).
  explicit DiskCache(std::string dir);

  // Creates the directory (0700) and checks its ownership; false = unusable.
  bool usable();
  const std::string& dir() const { return dir_; }
  std::string path_for(const std::string& key) const;

  Lookup load(const std::string& key, std::string* payload);
  Status store(const std::string& key, const std::string& payload);

 private:
  std::string dir_;
  int state_ = 0;  // 0 unknown, 1 usable, -1 unusable
};

}  // namespace fuze::cuda
