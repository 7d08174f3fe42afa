#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sinks/builtin.h"

namespace riposte::sinks {
namespace {

class FileSink final : public Sink {
 public:
  explicit FileSink(FileSinkConfig cfg) : cfg_(std::move(cfg)) {}
  ~FileSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  const std::string& name() const override { return cfg_.name; }

  Result<void> send(const std::vector<AuditRecord>& batch) override {
    if (fd_ < 0) {
      std::error_code ec;
      auto parent = std::filesystem::path(cfg_.path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent, ec);
      fd_ = ::open(cfg_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      if (fd_ < 0) return failErrno("open");
    }
    std::string buf;
    for (const auto& rec : batch) {
      buf += toJsonLine(rec);
      buf += '\n';
    }
    size_t off = 0;
    while (off < buf.size()) {
      ssize_t n = ::write(fd_, buf.data() + off, buf.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return failErrno("write");
      off += static_cast<size_t>(n);
    }
    if (::fsync(fd_) != 0) return failErrno("fsync");
    return {};
  }

 private:
  Result<void> failErrno(const char* what) {
    std::string msg = std::string(what) + " '" + cfg_.path + "': " + std::strerror(errno);
    if (fd_ >= 0) {
      ::close(fd_);  // reopen next time (the file may have been rotated or the disk fixed)
      fd_ = -1;
    }
    return fail(kSinkUnavailable, msg);
  }

  FileSinkConfig cfg_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<Sink> makeFileSink(FileSinkConfig cfg) {
  return std::make_unique<FileSink>(std::move(cfg));
}

}  // namespace riposte::sinks
