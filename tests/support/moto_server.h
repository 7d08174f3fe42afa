#pragma once
// A moto_server (local AWS) for integration tests: started on a free loopback port, reset
// between test cases, stopped by PID. One server per test binary (MotoServer::shared()).
//
//   class MyTest : public riposte::testing::MotoTest {};
//   TEST_F(MyTest, Isolates) {
//     auto& aws = client();                     // signs with test/test, talks to moto
//     std::string ep = moto().endpoint();       // "http://127.0.0.1:<port>"
//   }
// If moto_server is not on PATH, every MotoTest fails with
// "moto_server not found: pip install 'moto[server]'" (it never skips).

#include <gtest/gtest.h>
#include <sys/types.h>

#include <memory>
#include <string>

#include "aws/client.h"
#include "core/result.h"

namespace riposte::testing {

inline constexpr const char* kMotoMissing = "moto_server not found: pip install 'moto[server]'";

class MotoServer {
 public:
  // Starts `moto_server -H 127.0.0.1 -p <free port>` and waits (up to 30 s) until /moto-api/
  // answers. Error "MotoNotFound" (message kMotoMissing) when moto_server is not on PATH.
  static Result<std::unique_ptr<MotoServer>> start();
  // The process-wide server, started on first use and stopped at exit. Thread-safe.
  static Result<MotoServer*> shared();

  ~MotoServer();  // SIGTERM to its process group, SIGKILL after 3 s; removes its log
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& logPath() const { return log_path_; }

  // POST /moto-api/reset: wipes every service's state (about 0.3 s).
  Result<void> reset() const;
  // POST /moto-api/reset-auth with "0" (verify every signature) or "inf" (off, the default).
  Result<void> setAuthRequired(bool on) const;
  // Any request to the moto API (GET/POST path relative to the endpoint).
  Result<std::string> api(const std::string& method, const std::string& path,
                          const std::string& body = "") const;

 private:
  MotoServer() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string endpoint_, log_path_;
};

// A client for moto: credentials test/test, endpoint = the server, short retries.
std::unique_ptr<aws::Client> makeMotoClient(const MotoServer& server);

// gtest fixture: shared server, reset before each test, AWS_* environment variables set
// (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID=test, AWS_SECRET_ACCESS_KEY=test,
// AWS_DEFAULT_REGION=us-east-1) so that code resolving endpoints itself reaches moto.
class MotoTest : public ::testing::Test {
 protected:
  void SetUp() override;
  MotoServer& moto() { return *server_; }
  aws::Client& client() { return *client_; }
  const std::string& region() const { return region_; }

 private:
  MotoServer* server_ = nullptr;
  std::unique_ptr<aws::Client> client_;
  std::string region_ = "us-east-1";
};

}  // namespace riposte::testing
