#pragma once
// The built-in sinks and the config helpers their factories share (internal to src/sinks).

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "aws/http.h"
#include "sinks/format.h"
#include "sinks/notify.h"
#include "sinks/sink.h"

namespace riposte::sinks {

// --- fields of one item, already held to its type's schema (SinkRegistry::schema): present
// with the right type, or absent with no default (then `fallback`) ---
std::string itemString(const json::object& item, std::string_view field,
                       const std::string& fallback = "");
int64_t itemInt(const json::object& item, std::string_view field, int64_t fallback);
bool itemBool(const json::object& item, std::string_view field, bool fallback);
// This machine's host name ("-" if unknown).
std::string localHostname();

// --- file: JSON lines, appended and fsync'd per batch ---
struct FileSinkConfig {
  std::string name;
  std::string path;
};
std::unique_ptr<Sink> makeFileSink(FileSinkConfig cfg);

// --- syslog: RFC 5424 + CEF over udp | tcp | tls ---
struct SyslogSinkConfig {
  std::string name;
  std::string transport = "udp";  // udp | tcp | tls
  std::string host = "127.0.0.1";
  int port = 514;
  SyslogHeader header;
  std::string ca_file;      // tls: CA bundle to verify the server (default: system store)
  bool verify = true;       // tls: verify the certificate and host name
  std::string server_name;  // tls: name to verify (default: host)
  std::chrono::milliseconds timeout{5000};
};
std::unique_ptr<Sink> makeSyslogSink(SyslogSinkConfig cfg);

// --- Splunk HTTP Event Collector ---
struct HecSinkConfig {
  std::string name;
  std::string url;  // base: "https://splunk:8088" (the paths are appended)
  std::string token;
  HecFields fields;
  bool ack = false;     // use the indexer acknowledgement protocol
  std::string channel;  // X-Splunk-Request-Channel (default: a generated UUID)
  std::chrono::milliseconds ack_poll{200};
  std::chrono::milliseconds ack_timeout{30000};
};
std::unique_ptr<Sink> makeHecSink(HecSinkConfig cfg, std::shared_ptr<aws::HttpTransport> http);

// --- notifications to people (notify.h): one message per record of the subscribed events ---
struct WebhookSinkConfig {
  std::string name;
  std::string url;
  WebhookFormat format;
  std::set<std::string> events;  // approval | failure | incident
  aws::Pairs headers;            // e.g. Authorization (jira: Basic, generic: as configured)
};
std::unique_ptr<Sink> makeWebhookSink(WebhookSinkConfig cfg,
                                      std::shared_ptr<aws::HttpTransport> http, LinkMaker links);

struct SnsSinkConfig {
  std::string name;
  std::string topic_arn;
  std::string region;  // the topic's
  std::set<std::string> events;
};
std::unique_ptr<Sink> makeSnsSink(SnsSinkConfig cfg, std::shared_ptr<aws::Client> aws,
                                  LinkMaker links);

}  // namespace riposte::sinks
