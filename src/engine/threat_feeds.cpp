#include "engine/threat_feeds.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "aws/s3.h"
#include "aws/sigv4.h"
#include "core/log.h"
#include "policy/limits.h"

namespace riposte::engine {

namespace fs = std::filesystem;

struct ThreatFeeds::List {
  ThreatListStatus st;
  std::vector<policy::Cidr> entries;  // the good copy in use
  std::string file_signature;         // a file's size and modification time when read
  bool restore_tried = false;         // the store's copy was looked for
};

struct ThreatFeeds::Fetched {
  enum class Kind { kChanged, kNotModified, kFailed } kind = Kind::kFailed;
  std::string error;
  policy::ParsedList parsed;
  std::string etag, last_modified, file_signature;
};

ThreatFeeds::ThreatFeeds(const Clock& clock, Metrics& metrics, store::Store* copies)
    : clock_(clock), metrics_(metrics), copies_(copies) {}

ThreatFeeds::~ThreatFeeds() {
  stop();
}

void ThreatFeeds::declareMetrics(Metrics& m) {
  m.declare("riposte_threat_list_fetches_total",
            "Threat-intelligence list fetches by list and result (ok, not_modified, failed)",
            "counter");
  m.declare("riposte_threat_list_fetch_failures_total",
            "Threat-intelligence list fetches that failed (the last good copy is kept)", "counter");
  m.declare("riposte_threat_list_entries",
            "Entries (addresses and CIDRs) of the list's copy in use", "gauge");
  m.declare("riposte_threat_list_age_seconds",
            "Seconds since the list's copy in use was last fetched or confirmed current", "gauge");
  m.declare("riposte_threat_list_loaded", "1 when a good copy of the list is in use, else 0",
            "gauge");
  m.declare("riposte_threat_list_copy_errors_total",
            "Errors reading or writing a remote threat list's durable copy in the store (the "
            "list works from memory)",
            "counter");
  m.declare("riposte_threat_trusted_refusals_total",
            "Actions refused because the address they would block is trusted "
            "(code ResourceProtected) or a trusted list could not be read yet "
            "(riposte.TrustedListUnavailable), by action",
            "counter");
}

void ThreatFeeds::setTransport(std::shared_ptr<aws::HttpTransport> transport) {
  std::lock_guard lock(mu_);
  transport_ = std::move(transport);
}

void ThreatFeeds::configure(const std::string& config_dir, const policy::ThreatIntelConfig& config,
                            const std::string& default_region, std::shared_ptr<aws::Client> aws) {
  std::lock_guard refresh_lock(refresh_mu_);
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    config_dir_ = config_dir;
    default_region_ = default_region;
    aws_ = std::move(aws);
    std::vector<std::shared_ptr<List>> next;
    const int64_t now = clock_.nowMillis();
    for (const auto& c : config.lists) {
      auto same = std::find_if(lists_.begin(), lists_.end(), [&](const auto& l) {
        return l->st.config.name == c.name && l->st.config.sameFetch(c);
      });
      if (same != lists_.end()) {
        if ((*same)->st.config.verdict != c.verdict) changed = true;
        (*same)->st.config = c;  // description, verdict, refresh may change
        next.push_back(*same);
        continue;
      }
      auto l = std::make_shared<List>();
      l->st.config = c;
      l->st.next_ms = now;
      next.push_back(std::move(l));
      changed = true;
    }
    if (next.size() != lists_.size()) changed = true;
    for (const auto& old : lists_) {
      if (std::find(next.begin(), next.end(), old) == next.end()) {
        metrics_.set("riposte_threat_list_loaded", {{"list", old->st.config.name}}, 0);
        metrics_.set("riposte_threat_list_entries", {{"list", old->st.config.name}}, 0);
      }
    }
    lists_ = std::move(next);
  }
  if (changed) rebuild();
  {
    std::lock_guard lock(thread_mu_);
    changed_ = true;
  }
  thread_cv_.notify_all();
}

namespace {

// The delay before a failed list is tried again: 1 min, 2, 4, … up to its interval.
int64_t retryDelay(int64_t failures, int64_t refresh_ms) {
  int64_t d = 60'000;
  for (int64_t i = 1; i < failures && d < refresh_ms; ++i) d *= 2;
  return std::min(d, refresh_ms);
}

Result<policy::ParsedList> parseBody(std::string_view body, const policy::ThreatListConfig& c) {
  policy::ListLimits limits;
  limits.max_entries = c.max_entries;
  if (c.format == policy::ListFormat::kCsv) return policy::parseCsvList(body, c.csv, limits);
  return policy::parseTxtList(body, limits);
}

}  // namespace

ThreatFeeds::Fetched ThreatFeeds::fetch(const List& l) const {
  Fetched out;
  const auto& c = l.st.config;
  std::string body;
  std::shared_ptr<aws::Client> aws;
  std::shared_ptr<aws::HttpTransport> transport;
  std::string dir, region;
  {
    std::lock_guard lock(mu_);
    aws = aws_;
    transport = transport_;
    dir = config_dir_;
    region = c.region.empty() ? default_region_ : c.region;
  }
  const auto failed = [&](std::string why) {
    out.kind = Fetched::Kind::kFailed;
    out.error = std::move(why);
    return out;
  };
  switch (c.source.kind) {
    case policy::ListSource::Kind::kFile: {
      fs::path p(c.source.path);
      if (p.is_relative()) p = fs::path(dir) / p;
      std::error_code ec;
      const auto size = fs::file_size(p, ec);
      if (ec) return failed("cannot read " + p.string() + ": " + ec.message());
      const auto mtime = fs::last_write_time(p, ec);
      if (ec) return failed("cannot read " + p.string() + ": " + ec.message());
      out.file_signature =
          std::to_string(size) + "/" + std::to_string(mtime.time_since_epoch().count());
      if (l.st.loaded && out.file_signature == l.file_signature) {
        out.kind = Fetched::Kind::kNotModified;
        return out;
      }
      if (size > policy::ListLimits::kGuardDutyMaxBytes) {
        return failed(p.string() + " is " + std::to_string(size) + " bytes, over the " +
                      std::to_string(policy::ListLimits::kGuardDutyMaxBytes) + " a list may hold");
      }
      std::ifstream in(p, std::ios::binary);
      if (!in) return failed("cannot open " + p.string());
      body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      break;
    }
    case policy::ListSource::Kind::kS3: {
      if (!aws) return failed("NoCredentials: no AWS client is configured to read S3");
      aws::S3GetRequest req{region, c.source.bucket, c.source.key, "", ""};
      if (l.st.loaded) {
        req.if_none_match = l.st.etag;
        if (l.st.etag.empty()) req.if_modified_since = l.st.last_modified;
      }
      auto r = aws::s3GetObject(*aws, req);
      if (!r) return failed(r.error().str());
      if (r->not_modified) {
        out.kind = Fetched::Kind::kNotModified;
        return out;
      }
      out.etag = r->etag;
      out.last_modified = r->last_modified;
      body = std::move(r->body);
      break;
    }
    case policy::ListSource::Kind::kHttps: {
      if (!transport) transport = aws::makeCurlTransport();
      aws::HttpRequest req;
      req.method = "GET";
      req.url = c.source.url;
      req.headers = {{"Accept", "text/plain, text/csv, */*"}};
      if (!c.ca_file.empty()) {
        fs::path ca(c.ca_file);
        if (ca.is_relative()) ca = fs::path(dir) / ca;
        req.ca_file = ca.string();
      }
      if (l.st.loaded && !l.st.etag.empty()) req.headers.emplace_back("If-None-Match", l.st.etag);
      if (l.st.loaded && l.st.etag.empty() && !l.st.last_modified.empty())
        req.headers.emplace_back("If-Modified-Since", l.st.last_modified);
      auto r = transport->send(req);
      if (!r) return failed(r.error().str());
      if (r->status == 304 && l.st.loaded) {
        out.kind = Fetched::Kind::kNotModified;
        return out;
      }
      if (r->status != 200) return failed("HTTP " + std::to_string(r->status) + " from the source");
      out.etag = r->header("etag").value_or("");
      out.last_modified = r->header("last-modified").value_or("");
      body = std::move(r->body);
      break;
    }
  }
  auto parsed = parseBody(body, c);
  if (!parsed) return failed(parsed.error().str());
  out.kind = Fetched::Kind::kChanged;
  out.parsed = std::move(*parsed);
  return out;
}

bool ThreatFeeds::restore(List& l) {
  const auto& c = l.st.config;
  auto copy = copies_->getThreatListCopy(c.name);
  if (!copy) {
    metrics_.inc("riposte_threat_list_copy_errors_total", {{"list", c.name}});
    logWarn("threat list copy unreadable", {{"list", c.name}, {"error", copy.error().str()}});
    return false;
  }
  if (!*copy || (*copy)->fetch_key != c.fetchKey()) return false;
  policy::ListLimits limits;
  limits.max_entries = c.max_entries;
  auto parsed = policy::parseTxtList((*copy)->entries, limits);
  if (!parsed || parsed->bad_line_count > 0) {
    metrics_.inc("riposte_threat_list_copy_errors_total", {{"list", c.name}});
    logWarn("threat list copy unreadable",
            {{"list", c.name},
             {"error", parsed ? "lines that are not addresses" : parsed.error().str()}});
    return false;
  }
  std::lock_guard lock(mu_);
  l.entries = std::move(parsed->entries);
  l.st.loaded = true;
  l.st.entries = l.entries.size();
  l.st.bad_lines = static_cast<std::size_t>((*copy)->bad_lines);
  l.st.fetched_ms = l.st.changed_ms = (*copy)->fetched_ms;
  l.st.etag = (*copy)->etag;
  l.st.last_modified = (*copy)->last_modified;
  l.st.last_result = "restored";
  logInfo("threat list restored", {{"list", c.name},
                                   {"source", c.source.shown()},
                                   {"entries", std::to_string(l.st.entries)},
                                   {"read_at", formatIso8601Millis(l.st.changed_ms)}});
  setGauges(l);
  return true;
}

void ThreatFeeds::keepCopy(const List& l, const std::string& entries_text, bool confirmed_only) {
  store::ThreatListCopy copy;
  {
    std::lock_guard lock(mu_);
    copy = {l.st.config.name,
            l.st.config.fetchKey(),
            "",
            static_cast<int64_t>(l.st.bad_lines),
            l.st.etag,
            l.st.last_modified,
            l.st.fetched_ms};
  }
  Result<void> r;
  if (confirmed_only) {
    r = copies_->touchThreatListCopy(copy.list, copy.fetch_key, copy.fetched_ms);
  } else {
    copy.entries = entries_text;
    r = copies_->putThreatListCopy(copy);
  }
  if (!r) {
    metrics_.inc("riposte_threat_list_copy_errors_total", {{"list", copy.list}});
    logWarn("threat list copy not kept", {{"list", copy.list}, {"error", r.error().str()}});
  }
}

int ThreatFeeds::refresh(bool force) {
  std::lock_guard refresh_lock(refresh_mu_);
  std::vector<std::shared_ptr<List>> lists;
  {
    std::lock_guard lock(mu_);
    lists = lists_;
  }
  int attempted = 0;
  bool changed = false;
  for (const auto& l : lists) {
    const int64_t now = clock_.nowMillis();
    if (!force && l->st.next_ms > now) continue;
    ++attempted;
    const bool durable = copies_ && l->st.config.source.remote();
    if (durable && !l->restore_tried) {
      l->restore_tried = true;
      if (!l->st.loaded && restore(*l)) changed = true;
    }
    Fetched f = fetch(*l);
    const auto& name = l->st.config.name;
    const int64_t done = clock_.nowMillis();
    std::string entries_text;  // the copy the store keeps
    if (durable && f.kind == Fetched::Kind::kChanged) {
      for (const auto& e : f.parsed.entries) {
        entries_text += e.str();
        entries_text += '\n';
      }
    }
    std::unique_lock lock(mu_);
    l->st.checked_ms = done;
    switch (f.kind) {
      case Fetched::Kind::kChanged:
        l->entries = std::move(f.parsed.entries);
        l->st.loaded = true;
        l->st.entries = l->entries.size();
        l->st.bad_lines = f.parsed.bad_line_count;
        l->st.fetched_ms = l->st.changed_ms = done;
        l->st.etag = f.etag;
        l->st.last_modified = f.last_modified;
        l->file_signature = f.file_signature;
        l->st.last_result = "ok";
        l->st.last_error.clear();
        l->st.failures = 0;
        l->st.next_ms = done + l->st.config.refresh_ms;
        changed = true;
        metrics_.inc("riposte_threat_list_fetches_total", {{"list", name}, {"result", "ok"}});
        logInfo("threat list read", {{"list", name},
                                     {"source", l->st.config.source.shown()},
                                     {"entries", std::to_string(l->st.entries)},
                                     {"bad_lines", std::to_string(l->st.bad_lines)}});
        if (f.parsed.bad_line_count > 0) {
          const auto& first = f.parsed.bad_lines.front();
          logWarn("threat list has lines that are not addresses",
                  {{"list", name},
                   {"bad_lines", std::to_string(f.parsed.bad_line_count)},
                   {"first", "line " + std::to_string(first.line) + ": " + first.reason}});
        }
        break;
      case Fetched::Kind::kNotModified:
        l->st.fetched_ms = done;
        l->st.last_result = "not_modified";
        l->st.last_error.clear();
        l->st.failures = 0;
        l->st.next_ms = done + l->st.config.refresh_ms;
        metrics_.inc("riposte_threat_list_fetches_total",
                     {{"list", name}, {"result", "not_modified"}});
        break;
      case Fetched::Kind::kFailed:
        l->st.last_result = "failed";
        l->st.last_error = f.error;
        l->st.failures += 1;
        l->st.next_ms = done + retryDelay(l->st.failures, l->st.config.refresh_ms);
        metrics_.inc("riposte_threat_list_fetches_total", {{"list", name}, {"result", "failed"}});
        metrics_.inc("riposte_threat_list_fetch_failures_total", {{"list", name}});
        logWarn("threat list fetch failed",
                {{"list", name},
                 {"source", l->st.config.source.shown()},
                 {"error", f.error},
                 {"kept", l->st.loaded ? std::to_string(l->st.entries) + " entries read at " +
                                             formatIso8601Millis(l->st.changed_ms)
                                       : std::string("nothing: the list is empty until read")},
                 {"retry_at", formatIso8601Millis(l->st.next_ms)}});
        break;
    }
    setGauges(*l);
    lock.unlock();
    if (durable && f.kind != Fetched::Kind::kFailed)
      keepCopy(*l, entries_text, f.kind == Fetched::Kind::kNotModified);
  }
  if (changed) rebuild();
  return attempted;
}

void ThreatFeeds::setGauges(const List& l) {
  const auto& name = l.st.config.name;
  metrics_.set("riposte_threat_list_loaded", {{"list", name}}, l.st.loaded ? 1 : 0);
  metrics_.set("riposte_threat_list_entries", {{"list", name}}, static_cast<double>(l.st.entries));
  if (l.st.loaded) {
    metrics_.set("riposte_threat_list_age_seconds", {{"list", name}},
                 static_cast<double>(clock_.nowMillis() - l.st.fetched_ms) / 1000.0);
  }
}

void ThreatFeeds::updateGauges() {
  std::lock_guard lock(mu_);
  for (const auto& l : lists_) setGauges(*l);
}

void ThreatFeeds::rebuild() {
  policy::ThreatIntelBuilder b;
  {
    std::lock_guard lock(mu_);
    for (const auto& l : lists_) {
      if (!l->st.loaded) continue;
      if (auto r = b.add(l->st.config.name, l->st.config.verdict, l->entries); !r) {
        logError("threat list not indexed",
                 {{"list", l->st.config.name}, {"error", r.error().str()}});
      }
    }
  }
  holder_.replace(b.build());
}

bool ThreatFeeds::configured() const {
  std::lock_guard lock(mu_);
  return !lists_.empty();
}

std::vector<std::string> ThreatFeeds::trustedUnavailable() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& l : lists_) {
    if (l->st.config.verdict == policy::Verdict::kTrusted && !l->st.loaded)
      out.push_back(l->st.config.name);
  }
  return out;
}

std::vector<ThreatListStatus> ThreatFeeds::status() const {
  std::lock_guard lock(mu_);
  std::vector<ThreatListStatus> out;
  for (const auto& l : lists_) out.push_back(l->st);
  return out;
}

json::value ThreatFeeds::statusJson() const {
  const int64_t now = clock_.nowMillis();
  json::array lists;
  for (const auto& s : status()) {
    const auto& c = s.config;
    json::object o;
    o["name"] = c.name;
    o["verdict"] = std::string(policy::verdictName(c.verdict));
    o["source"] = c.source.shown();
    o["sourceKind"] = std::string(policy::sourceKindName(c.source.kind));
    o["format"] = std::string(policy::listFormatName(c.format));
    o["refresh"] = policy::windowName(c.refresh_ms);
    o["loaded"] = s.loaded;
    o["entries"] = s.entries;
    o["badLines"] = s.bad_lines;
    o["fetchedAt"] = s.loaded ? json::value(formatIso8601Millis(s.fetched_ms)) : json::value();
    o["ageSeconds"] = s.loaded ? json::value((now - s.fetched_ms) / 1000) : json::value();
    o["changedAt"] = s.loaded ? json::value(formatIso8601Millis(s.changed_ms)) : json::value();
    o["checkedAt"] = s.checked_ms ? json::value(formatIso8601Millis(s.checked_ms)) : json::value();
    o["nextAt"] = formatIso8601Millis(s.next_ms);
    o["lastResult"] = s.last_result.empty() ? json::value() : json::value(s.last_result);
    o["lastError"] = s.last_error.empty() ? json::value() : json::value(s.last_error);
    o["failures"] = s.failures;
    o["description"] = c.describe();
    lists.push_back(std::move(o));
  }
  return json::object{{"lists", std::move(lists)}};
}

std::optional<int64_t> ThreatFeeds::nextDueMs() const {
  std::lock_guard lock(mu_);
  std::optional<int64_t> out;
  for (const auto& l : lists_) {
    if (!out || l->st.next_ms < *out) out = l->st.next_ms;
  }
  return out;
}

void ThreatFeeds::start() {
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lk(thread_mu_);
    while (!stop_) {
      const auto next = nextDueMs();
      const int64_t wait = next ? *next - clock_.nowMillis() : 3'600'000;
      if (wait > 0) {
        thread_cv_.wait_for(lk, std::chrono::milliseconds(std::min<int64_t>(wait, 60'000)),
                            [&] { return stop_ || changed_; });
        changed_ = false;
        continue;
      }
      lk.unlock();
      refresh();
      updateGauges();
      lk.lock();
    }
  });
}

void ThreatFeeds::stop() {
  {
    std::lock_guard lock(thread_mu_);
    stop_ = true;
  }
  thread_cv_.notify_all();
  std::thread t;
  {
    std::lock_guard lock(thread_mu_);
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
}

}  // namespace riposte::engine
