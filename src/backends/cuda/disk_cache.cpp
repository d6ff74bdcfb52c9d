// On-disk cache of compiled CUDA programs (format in disk_cache.h).
#include "backends/cuda/disk_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "support/log.h"

namespace fuze::cuda {
namespace {

std::atomic<uint64_t> g_compiles{0}, g_hits{0}, g_misses{0}, g_rejects{0}, g_writes{0};

constexpr char kMagic[8] = {'F', 'U', 'Z', 'E', 'C', 'U', 'K', '1'};
constexpr size_t kHeaderSize = 8 + 4 + 4 + 8 + 8;

// mkdir -p with mode 0700 for every component created here.
bool make_dirs(const std::string& dir) {
  if (dir.empty()) return false;
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos == dir.size() || dir[pos] == '/') {
      std::string part = dir.substr(0, pos);
      if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return false;
    }
  }
  return true;
}

bool read_file(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

template <class T>
void put(std::string* s, T v) {
  s->append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
T get(const std::string& s, size_t at) {
  T v;
  std::memcpy(&v, s.data() + at, sizeof v);
  return v;
}

uint64_t checksum(const std::string& key, const char* payload, size_t size) {
  return fnv1a64(payload, size, fnv1a64(key.data(), key.size()));
}

}  // namespace

CacheStats cache_stats() {
  CacheStats s;
  s.nvrtc_compiles = g_compiles.load();
  s.disk_hits = g_hits.load();
  s.disk_misses = g_misses.load();
  s.disk_rejects = g_rejects.load();
  s.disk_writes = g_writes.load();
  return s;
}

void reset_cache_stats() {
  g_compiles = 0, g_hits = 0, g_misses = 0, g_rejects = 0, g_writes = 0;
}

void count_nvrtc_compile() { ++g_compiles; }

uint64_t fnv1a64(const void* data, size_t size, uint64_t hash) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string default_cache_dir() {
  const char* off = std::getenv("FUZE_CUDA_DISK_CACHE");
  if (off && std::strcmp(off, "0") == 0) return {};
  if (const char* d = std::getenv("FUZE_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/fuze";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/fuze";
  return {};
}

DiskCache::DiskCache(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

bool DiskCache::usable() {
  if (state_ != 0) return state_ > 0;
  state_ = -1;
  if (dir_.empty()) return false;
  if (!make_dirs(dir_)) {
    FUZE_LOG(kWarn) << "cuda disk cache: cannot create " << dir_ << ": " << std::strerror(errno) << " (cache off)";
    return false;
  }
  struct stat st;
  if (stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    FUZE_LOG(kWarn) << "cuda disk cache: " << dir_ << " is not a directory (cache off)";
    return false;
  }
  if (st.st_uid != getuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    FUZE_LOG(kWarn) << "cuda disk cache: " << dir_ << " is not owned by this user or is group/world-writable (cache off)";
    return false;
  }
  state_ = 1;
  return true;
}

std::string DiskCache::path_for(const std::string& key) const {
  return dir_ + "/" + hex64(fnv1a64(key.data(), key.size())) + ".fzk";
}

DiskCache::Lookup DiskCache::load(const std::string& key, std::string* payload) {
  payload->clear();
  if (!usable()) {
    ++g_misses;
    return Lookup::kMiss;
  }
  std::string path = path_for(key);
  std::string data;
  if (!read_file(path, &data)) {
    ++g_misses;
    return Lookup::kMiss;
  }
  const char* why = nullptr;
  if (data.size() < kHeaderSize || std::memcmp(data.data(), kMagic, 8) != 0) {
    why = "bad magic or truncated header";
  } else if (get<uint32_t>(data, 8) != kFormatVersion) {
    why = "format version mismatch";
  } else {
    uint64_t key_len = get<uint32_t>(data, 12);
    uint64_t size = get<uint64_t>(data, 16);
    uint64_t sum = get<uint64_t>(data, 24);
    if (key_len != key.size() || size > data.size() || data.size() != kHeaderSize + key_len + size) {
      why = "size mismatch (truncated or padded)";
    } else if (data.compare(kHeaderSize, key_len, key) != 0) {
      why = "key mismatch";
    } else if (checksum(key, data.data() + kHeaderSize + key_len, size) != sum) {
      why = "checksum mismatch";
    } else {
      payload->assign(data, kHeaderSize + key_len, size);
      ++g_hits;
      return Lookup::kHit;
    }
  }
  ++g_rejects;
  FUZE_LOG(kWarn) << "cuda disk cache: rejected " << path << " (" << why << "); recompiling";
  return Lookup::kReject;
}

Status DiskCache::store(const std::string& key, const std::string& payload) {
  if (!usable()) return Status::ok();
  std::string data(kMagic, 8);
  put<uint32_t>(&data, kFormatVersion);
  put<uint32_t>(&data, static_cast<uint32_t>(key.size()));
  put<uint64_t>(&data, payload.size());
  put<uint64_t>(&data, checksum(key, payload.data(), payload.size()));
  data += key;
  data += payload;

  static std::atomic<unsigned> counter{0};
  std::string path = path_for(key);
  std::string tmp = path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error("cuda disk cache: cannot create " + tmp + ": " + std::strerror(errno));
  bool ok = write_all(fd, data.data(), data.size());
  ok = (close(fd) == 0) && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Status::error("cuda disk cache: cannot write " + path + ": " + std::strerror(err));
  }
  ++g_writes;
  return Status::ok();
}

}  // namespace fuze::cuda
