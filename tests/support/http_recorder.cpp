#include "support/http_recorder.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

namespace riposte::testing {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string RecordedRequest::header(std::string_view name) const {
  const std::string n = lower(std::string(name));
  for (const auto& [k, v] : headers)
    if (k == n) return v;
  return "";
}

bool RecordedRequest::hasHeader(std::string_view name) const {
  const std::string n = lower(std::string(name));
  for (const auto& [k, v] : headers)
    if (k == n) return true;
  return false;
}

HttpRecorder::HttpRecorder() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  ::listen(listen_fd_, 16);
  thread_ = std::thread([this] { serve(); });
}

HttpRecorder::~HttpRecorder() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

void HttpRecorder::respond(int status, std::string body, std::string content_type) {
  std::lock_guard lock(mu_);
  status_ = status;
  body_ = std::move(body);
  content_type_ = std::move(content_type);
}

void HttpRecorder::handle(std::function<ScriptedResponse(const RecordedRequest&)> handler) {
  std::lock_guard lock(mu_);
  handler_ = std::move(handler);
}

std::vector<RecordedRequest> HttpRecorder::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

void HttpRecorder::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::string data;
    char buf[8192];
    size_t header_end = std::string::npos, content_length = 0;
    while (true) {
      pollfd cp{fd, POLLIN, 0};
      if (::poll(&cp, 1, 2000) <= 0) break;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          std::string head = lower(data.substr(0, header_end));
          auto cl = head.find("\r\ncontent-length:");
          if (cl != std::string::npos) content_length = std::stoul(head.substr(cl + 17));
        }
      }
      if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
    }
    RecordedRequest req;
    if (header_end != std::string::npos) {
      std::string head = data.substr(0, header_end);
      size_t line_end = head.find("\r\n");
      std::string first = head.substr(0, line_end);
      auto sp1 = first.find(' '), sp2 = first.rfind(' ');
      req.method = first.substr(0, sp1);
      req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t pos = line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
          std::string v = line.substr(colon + 1);
          while (!v.empty() && v.front() == ' ') v.erase(0, 1);
          req.headers.emplace_back(lower(line.substr(0, colon)), v);
        }
        pos = e + 2;
      }
      req.body = data.substr(header_end + 4, content_length);
    }
    int status;
    std::string body, type;
    std::function<ScriptedResponse(const RecordedRequest&)> handler;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
      status = status_;
      body = body_;
      type = content_type_;
      handler = handler_;
    }
    std::string extra;
    if (handler) {
      ScriptedResponse r = handler(req);
      status = r.status;
      body = std::move(r.body);
      type = std::move(r.content_type);
      for (const auto& [k, v] : r.headers) extra += k + ": " + v + "\r\n";
    }
    std::string resp = "HTTP/1.1 " + std::to_string(status) + " X\r\n" + extra +
                       "Content-Type: " + type +
                       "\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\nConnection: close\r\n\r\n" + body;
    size_t sent = 0;
    while (sent < resp.size()) {
      ssize_t n = ::send(fd, resp.data() + sent, resp.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    ::close(fd);
  }
}

}  // namespace riposte::testing
