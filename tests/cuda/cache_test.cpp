// The on-disk kernel cache: entry format checks in-process (no NVRTC), and
// the end-to-end proof across processes: this test binary re-executes itself
// (fork + exec of /proc/self/exe) as a child that compiles every op kernel
// for sm_90 through the cache; the second child makes 0 NVRTC compiles, and a
// corrupted entry is rejected, recompiled and rewritten.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cuda/compiler.h"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/disk_cache.h"
#include "cuda/cuda_test_util.h"

namespace fuze {
namespace {

std::string make_temp_dir() {
  char tmpl[] = "/tmp/fuze_cuda_cache_XXXXXX";
  const char* d = mkdtemp(tmpl);
  EXPECT_NE(d, nullptr);
  return d ? d : "";
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

TEST(CudaDiskCache, StoreLoadAndRejects) {
  std::string dir = make_temp_dir() + "/sub/cache";  // nested: created on first use
  cuda::DiskCache cache(dir);
  ASSERT_TRUE(cache.usable());
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "cache directory must be private";

  cuda::reset_cache_stats();
  const std::string key = "fuze 0.1.0 nvrtc 13.0 sm_90 cubin src 0123456789abcdef";
  const std::string payload = std::string("\x7f" "ELF", 4) + std::string(1000, 'x') + std::string(3, '\0');
  std::string got;
  EXPECT_EQ(cache.load(key, &got), cuda::DiskCache::Lookup::kMiss);
  ASSERT_TRUE(cache.store(key, payload).is_ok());
  EXPECT_EQ(cache.load(key, &got), cuda::DiskCache::Lookup::kHit);
  EXPECT_EQ(got, payload);
  ASSERT_EQ(stat(cache.path_for(key).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  const std::string path = cache.path_for(key);
  const std::string good = slurp(path);
  // A flipped payload byte, a flipped key byte, truncation, a wrong magic and
  // trailing garbage are each rejected.
  std::vector<std::string> bad;
  bad.push_back(good), bad.back()[good.size() - 10] ^= 0x01;
  bad.push_back(good), bad.back()[40] ^= 0x20;
  bad.push_back(good.substr(0, good.size() - 1));
  bad.push_back(good.substr(0, 12));
  bad.push_back(good), bad.back()[0] = 'X';
  bad.push_back(good + "junk");
  for (size_t i = 0; i < bad.size(); ++i) {
    spit(path, bad[i]);
    EXPECT_EQ(cache.load(key, &got), cuda::DiskCache::Lookup::kReject) << "corruption " << i;
    EXPECT_TRUE(got.empty());
  }
  // An entry under another key's file name (a hash collision, a renamed file): rejected.
  std::string key2 = key;
  key2.back() = 'e';
  spit(cache.path_for(key2), good);
  EXPECT_EQ(cache.load(key2, &got), cuda::DiskCache::Lookup::kReject);
  spit(path, good);
  cuda::DiskCache other(dir);
  EXPECT_EQ(other.load(key, &got), cuda::DiskCache::Lookup::kHit);
  cuda::CacheStats s = cuda::cache_stats();
  EXPECT_EQ(s.disk_rejects, bad.size() + 1);
  EXPECT_EQ(s.disk_hits, 2u);
  EXPECT_EQ(s.disk_misses, 1u);
  EXPECT_EQ(s.disk_writes, 1u);
  // No temp files left behind.
  std::string listing;
  FILE* p = popen(("ls -a " + dir).c_str(), "r");
  char buf[256];
  while (p && fgets(buf, sizeof buf, p)) listing += buf;
  if (p) pclose(p);
  EXPECT_EQ(listing.find(".tmp."), std::string::npos) << listing;
}

TEST(CudaDiskCache, RefusesSharedDirectory) {
  std::string dir = make_temp_dir();
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  cuda::DiskCache cache(dir);
  EXPECT_FALSE(cache.usable()) << "a world-writable directory must not be trusted";
  std::string got;
  EXPECT_EQ(cache.load("k", &got), cuda::DiskCache::Lookup::kMiss);
  EXPECT_TRUE(cache.store("k", "v").is_ok());  // a no-op, not an error
}

TEST(CudaDiskCache, DefaultDirectoryFollowsEnvironment) {
  setenv("FUZE_CACHE_DIR", "/tmp/fuze-x", 1);
  EXPECT_EQ(cuda::default_cache_dir(), "/tmp/fuze-x");
  unsetenv("FUZE_CACHE_DIR");
  setenv("XDG_CACHE_HOME", "/tmp/xdg", 1);
  EXPECT_EQ(cuda::default_cache_dir(), "/tmp/xdg/fuze");
  unsetenv("XDG_CACHE_HOME");
  setenv("HOME", "/tmp/home", 1);
  EXPECT_EQ(cuda::default_cache_dir(), "/tmp/home/.cache/fuze");
  setenv("FUZE_CUDA_DISK_CACHE", "0", 1);
  EXPECT_EQ(cuda::default_cache_dir(), "");
  unsetenv("FUZE_CUDA_DISK_CACHE");
}

// --- the child process --------------------------------------------------------

// Compiles every supported op kernel (f32) for sm_90 through the disk cache in
// $FUZE_CACHE_DIR and writes the counters to $FUZE_CUDA_CACHE_CHILD_OUT.
TEST(CudaCacheChild, CompileAllOps) {
  const char* out_path = std::getenv("FUZE_CUDA_CACHE_CHILD_OUT");
  if (!out_path) GTEST_SKIP() << "runs only as the child of CudaDiskCache.SecondProcessMakesNoCompiles";
  cuda::reset_cache_stats();
  int kernels = 0;
  for (int i = 0; i < ir::num_ops(); ++i) {
    ir::Kernel k;
    if (!cuda_test::single_op_kernel(ir::op_at(i), ir::DType::kFloat32, &k)) continue;
    CudaCompileOptions o;
    o.arch = "sm_90";
    o.use_disk_cache = true;  // FUZE_CACHE_DIR
    CudaCompileOutput out;
    Status s = cuda_compile_only(k, o, &out);
    if (!s && s.message().find("not supported yet") != std::string::npos) continue;
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_FALSE(out.cubin.empty());
    ++kernels;
  }
  cuda::CacheStats st = cuda::cache_stats();
  std::ofstream f(out_path);
  f << kernels << " " << st.nvrtc_compiles << " " << st.disk_hits << " " << st.disk_misses << " " << st.disk_rejects
    << " " << st.disk_writes << "\n";
}

struct ChildResult {
  int kernels = -1;
  unsigned long long compiles = 0, hits = 0, misses = 0, rejects = 0, writes = 0;
};

ChildResult run_child(const std::string& cache_dir, const std::string& out_path) {
  ChildResult r;
  std::remove(out_path.c_str());
  pid_t pid = fork();
  if (pid == 0) {
    setenv("FUZE_CACHE_DIR", cache_dir.c_str(), 1);
    setenv("FUZE_CUDA_CACHE_CHILD_OUT", out_path.c_str(), 1);
    execl("/proc/self/exe", "cuda_tests", "--gtest_filter=CudaCacheChild.CompileAllOps", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed, status " << status;
  std::ifstream f(out_path);
  f >> r.kernels >> r.compiles >> r.hits >> r.misses >> r.rejects >> r.writes;
  return r;
}

TEST(CudaDiskCache, SecondProcessMakesNoCompiles) {
  Status nvrtc = cuda_nvrtc_status();
  if (!nvrtc) GTEST_SKIP() << "libnvrtc not available: " << nvrtc.message();
  std::string dir = make_temp_dir();
  std::string out = dir + "/child.txt";
  std::string cache_dir = dir + "/cache";

  ChildResult first = run_child(cache_dir, out);
  ASSERT_GE(first.kernels, 19);
  std::printf("process 1: %d kernels, %llu NVRTC compiles, %llu disk misses, %llu writes\n", first.kernels,
              first.compiles, first.misses, first.writes);
  EXPECT_EQ(first.compiles, static_cast<unsigned long long>(first.kernels));
  EXPECT_EQ(first.misses, first.compiles);
  EXPECT_EQ(first.writes, first.compiles);
  EXPECT_EQ(first.hits, 0u);

  ChildResult second = run_child(cache_dir, out);
  std::printf("process 2: %d kernels, %llu NVRTC compiles, %llu disk hits\n", second.kernels, second.compiles,
              second.hits);
  EXPECT_EQ(second.kernels, first.kernels);
  EXPECT_EQ(second.compiles, 0u) << "a second process must not run NVRTC";
  EXPECT_EQ(second.hits, static_cast<unsigned long long>(first.kernels));
  EXPECT_EQ(second.rejects, 0u);

  // Flip one byte in the middle of one entry's payload.
  std::string victim;
  FILE* p = popen(("ls " + cache_dir + "/*.fzk | head -1").c_str(), "r");
  char buf[512];
  if (p && fgets(buf, sizeof buf, p)) victim = buf;
  if (p) pclose(p);
  while (!victim.empty() && victim.back() == '\n') victim.pop_back();
  ASSERT_FALSE(victim.empty());
  std::string data = slurp(victim);
  ASSERT_GT(data.size(), 200u);
  data[data.size() / 2] ^= 0x40;
  spit(victim, data);

  ChildResult third = run_child(cache_dir, out);
  std::printf("process 3 (one entry corrupted): %llu rejects, %llu NVRTC compiles, %llu hits, %llu writes\n",
              third.rejects, third.compiles, third.hits, third.writes);
  EXPECT_EQ(third.rejects, 1u);
  EXPECT_EQ(third.compiles, 1u);
  EXPECT_EQ(third.writes, 1u);
  EXPECT_EQ(third.hits, static_cast<unsigned long long>(first.kernels - 1));

  ChildResult fourth = run_child(cache_dir, out);  // the rewritten entry is good again
  EXPECT_EQ(fourth.compiles, 0u);
  EXPECT_EQ(fourth.rejects, 0u);
  EXPECT_EQ(fourth.hits, static_cast<unsigned long long>(first.kernels));
  std::system(("rm -rf " + dir).c_str());
}

TEST(CudaDiskCache, KeyNamesArchNvrtcAndVersion) {
  Status nvrtc = cuda_nvrtc_status();
  if (!nvrtc) GTEST_SKIP() << "libnvrtc not available: " << nvrtc.message();
  std::string a = cuda::cache_key("src", "sm_90", true);
  EXPECT_NE(a, cuda::cache_key("src", "sm_80", true));
  EXPECT_NE(a, cuda::cache_key("src", "sm_90", false));
  EXPECT_NE(a, cuda::cache_key("src2", "sm_90", true));
  EXPECT_NE(a.find(" nvrtc "), std::string::npos);
  EXPECT_EQ(a.rfind("fuze 0.", 0), 0u) << a;  // PROJECT_VERSION
  std::printf("key: %s\n", a.c_str());
}

}  // namespace
}  // namespace fuze
