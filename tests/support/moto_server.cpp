#include "support/moto_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "aws/http.h"

namespace riposte::testing {
namespace {

bool onPath(const std::string& exe) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string p = dir + "/" + exe;
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string tail(const std::string& path) {
  std::ifstream f(path);
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

std::shared_ptr<aws::HttpTransport> transport() {
  static auto t = aws::makeCurlTransport(
      aws::CurlOptions{std::chrono::milliseconds(2000), std::chrono::milliseconds(30000)});
  return t;
}

}  // namespace

Result<std::unique_ptr<MotoServer>> MotoServer::start() {
  if (!onPath("moto_server")) return fail("MotoNotFound", kMotoMissing);
  std::unique_ptr<MotoServer> s(new MotoServer());
  for (int attempt = 0; attempt < 3; ++attempt) {
    s->port_ = freePort();
    if (s->port_ <= 0) return fail("MotoStartFailed", "no free loopback port");
    s->endpoint_ = "http://127.0.0.1:" + std::to_string(s->port_);
    s->log_path_ =
        "/tmp/riposte-moto-" + std::to_string(::getpid()) + "-" + std::to_string(s->port_) + ".log";
    const std::string port = std::to_string(s->port_);
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return fail("MotoStartFailed", "fork failed");
    if (pid == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the test binary
      if (::getppid() != parent) ::_exit(1);
      int fd = ::open(s->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      ::execlp("moto_server", "moto_server", "-H", "127.0.0.1", "-p", port.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    s->pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        s->pid_ = -1;
        break;  // it died (port taken?): try another port
      }
      auto r = transport()->send(aws::HttpRequest{"GET", s->endpoint_ + "/moto-api/", {}, "", ""});
      if (r && r->status == 200) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (s->pid_ > 0) {
      return fail("MotoStartFailed", "moto_server did not answer on " + s->endpoint_ +
                                         " within 30 s; log: " + tail(s->log_path_));
    }
  }
  return fail("MotoStartFailed", "moto_server exited at start; log: " + tail(s->log_path_));
}

Result<MotoServer*> MotoServer::shared() {
  static std::mutex mu;
  static std::unique_ptr<MotoServer> server;
  static Error error;
  std::lock_guard lock(mu);
  if (server) return server.get();
  if (!error.code.empty()) return fail(error);
  auto s = start();
  if (!s) {
    error = s.error();
    return fail(error);
  }
  server = std::move(*s);
  return server.get();
}

MotoServer::~MotoServer() {
  if (pid_ <= 0) return;
  struct RemoveLog {
    const std::string& path;
    ~RemoveLog() { ::unlink(path.c_str()); }
  } remove_log{log_path_};
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 30; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

Result<std::string> MotoServer::api(const std::string& method, const std::string& path,
                                    const std::string& body) const {
  aws::HttpRequest req{method, endpoint_ + path, {{"Content-Type", "text/plain"}}, body, ""};
  auto r = transport()->send(req);
  if (!r) return fail(r.error());
  if (r->status != 200) {
    return fail("MotoApiError", method + " " + path + " → HTTP " + std::to_string(r->status) +
                                    ": " + r->body.substr(0, 300));
  }
  return r->body;
}

Result<void> MotoServer::reset() const {
  auto r = api("POST", "/moto-api/reset");
  if (!r) return fail(r.error());
  return {};
}

Result<void> MotoServer::setAuthRequired(bool on) const {
  auto r = api("POST", "/moto-api/reset-auth", on ? "0" : "inf");
  if (!r) return fail(r.error());
  return {};
}

std::unique_ptr<aws::Client> makeMotoClient(const MotoServer& server) {
  aws::RetryPolicy p;
  p.max_attempts = 2;
  p.base_delay = std::chrono::milliseconds(20);
  p.max_delay = std::chrono::milliseconds(100);
  auto c = std::make_unique<aws::Client>(aws::Credentials{"test", "test", ""}, p, transport());
  std::string ep = server.endpoint();
  c->setEndpointResolver([ep](std::string_view, std::string_view) { return ep; });
  return c;
}

void MotoTest::SetUp() {
  auto s = MotoServer::shared();
  ASSERT_TRUE(s) << s.error().message;
  server_ = *s;
  auto r = server_->reset();
  ASSERT_TRUE(r) << r.error().str();
  ::setenv("AWS_ENDPOINT_URL", server_->endpoint().c_str(), 1);
  ::setenv("AWS_ACCESS_KEY_ID", "test", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "test", 1);
  ::unsetenv("AWS_SESSION_TOKEN");
  ::setenv("AWS_DEFAULT_REGION", region_.c_str(), 1);
  ::setenv("AWS_REGION", region_.c_str(), 1);
  client_ = makeMotoClient(*server_);
}

}  // namespace riposte::testing
