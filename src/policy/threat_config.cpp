#include "policy/threat_config.h"

#include <algorithm>
#include <set>

#include "config/schema.h"
#include "core/digest.h"
#include "policy/limits.h"
#include "policy/schema.h"

namespace riposte::policy {

std::string_view sourceKindName(ListSource::Kind k) {
  switch (k) {
    case ListSource::Kind::kFile:
      return "file";
    case ListSource::Kind::kS3:
      return "s3";
    case ListSource::Kind::kHttps:
      return "https";
  }
  return "file";
}

namespace {

bool hasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// S3's bucket naming rules (general purpose buckets): 3-63 characters of a-z 0-9 . -,
// beginning and ending with a letter or digit, no "..".
bool validBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(b.front()) || !alnum(b.back())) return false;
  if (b.find("..") != std::string_view::npos) return false;
  return std::all_of(b.begin(), b.end(), [&](char c) { return alnum(c) || c == '.' || c == '-'; });
}

bool loopbackHost(std::string_view host) {
  return host == "127.0.0.1" || host == "[::1]" || host == "localhost";
}

}  // namespace

Result<ListSource> parseListSource(std::string_view text) {
  ListSource s;
  s.text = std::string(text);
  if (text.empty()) return fail("InvalidSource", "is empty");
  if (hasControl(text)) return fail("InvalidSource", "contains a control character");
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    s.kind = ListSource::Kind::kFile;
    s.path = std::string(text);
    return s;
  }
  const std::string_view scheme = text.substr(0, scheme_end);
  const std::string_view rest = text.substr(scheme_end + 3);
  if (scheme == "s3") {
    const auto slash = rest.find('/');
    const std::string_view bucket = rest.substr(0, slash);
    if (!validBucket(bucket)) {
      return fail("InvalidSource", "'" + std::string(bucket) +
                                       "' is not an S3 bucket name (3-63 of a-z 0-9 . -, "
                                       "beginning and ending with a letter or digit)");
    }
    if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
      return fail("InvalidSource", "needs an object key: s3://" + std::string(bucket) + "/<key>");
    }
    const std::string_view key = rest.substr(slash + 1);
    if (key.size() > 1024) return fail("InvalidSource", "the object key is over 1024 bytes");
    s.kind = ListSource::Kind::kS3;
    s.bucket = std::string(bucket);
    s.key = std::string(key);
    return s;
  }
  if (scheme == "https" || scheme == "http") {
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty()) return fail("InvalidSource", "the URL names no host");
    if (authority.find('@') != std::string_view::npos) {
      return fail("InvalidSource",
                  "a user name or password in the URL is refused (it would be logged and "
                  "shown): put a token in the path or query, from ${VAR}");
    }
    if (text.find(' ') != std::string_view::npos) {
      return fail("InvalidSource", "a URL has no spaces (percent-encode them)");
    }
    std::string_view host = authority;
    if (host.front() == '[') {
      host = host.substr(0, host.find(']') + 1);
    } else {
      host = host.substr(0, host.find(':'));
    }
    if (scheme == "http" && !loopbackHost(host)) {
      return fail("InvalidSource",
                  "http:// is accepted only to a loopback host (127.0.0.1, [::1], localhost): a "
                  "list read in clear from elsewhere could be rewritten on the way; use https://");
    }
    s.kind = ListSource::Kind::kHttps;
    s.url = std::string(text);
    return s;
  }
  return fail("InvalidSource", "unknown scheme '" + std::string(scheme) +
                                   "://' (known: s3://, https://, or a file path)");
}

std::string ListSource::shown() const {
  if (kind != Kind::kHttps) return text;
  const auto q = url.find_first_of("?#");
  return q == std::string::npos ? url : url.substr(0, q) + "?…";
}

std::string ThreatListConfig::fetchKey() const {
  std::string k;
  for (const std::string& part :
       {source.text, region, std::string(format == ListFormat::kCsv ? "csv" : "txt"), csv.column,
        std::to_string(csv.column_index), std::to_string(static_cast<int>(csv.header)),
        std::to_string(max_entries), ca_file}) {
    k += std::to_string(part.size());  // length-prefixed: no two field lists give one text
    k += ':';
    k += part;
  }
  return sha256Hex(k);
}

std::string ThreatListConfig::describe() const {
  std::string from;
  switch (source.kind) {
    case ListSource::Kind::kFile:
      from = "the file " + source.path;
      break;
    case ListSource::Kind::kS3:
      from = "the S3 object s3://" + source.bucket + "/" + source.key +
             (region.empty() ? "" : " (" + region + ")");
      break;
    case ListSource::Kind::kHttps:
      from = source.shown();
      break;
  }
  std::string fmt = format == ListFormat::kTxt ? "GuardDuty TXT" : "CSV";
  if (format == ListFormat::kCsv) {
    fmt += csv.column.empty() ? ", column " + std::to_string(csv.column_index + 1)
                              : ", column \"" + csv.column + "\"";
  }
  return std::string(verdictName(verdict)) + " list " + name + ": " + from + " (" + fmt +
         ", at most " + std::to_string(max_entries) + " entries), read again every " +
         windowName(refresh_ms) + (source.remote() ? " with a conditional request" : "");
}

std::string PublishConfig::locationUrl(const std::string& region_in_force) const {
  return "https://s3." + (region.empty() ? region_in_force : region) + ".amazonaws.com/" +
         location.bucket + "/" + location.key;
}

std::string PublishConfig::describe() const {
  return "the addresses riposte blocks are kept in s3://" + location.bucket + "/" + location.key +
         " (GuardDuty TXT) and GuardDuty detector " + detector_id +
         " reads them as the threat intel set \"" + name + "\"" +
         (activate ? ", active" : ", inactive");
}

// ---------------------------------------------------------------- parsing

namespace {

struct Reader {
  Problems& problems;
  void add(std::string path, std::string message) {
    problems.push_back(Problem{std::move(path), std::move(message)});
  }
  bool object(const json::value& v, const std::string& path, const std::vector<std::string>& known,
              std::string_view what) {
    if (!v.is_object()) {
      add(path, "must be a mapping (" + std::string(what) + ")");
      return false;
    }
    for (const auto& kv : v.get_object()) {
      if (std::find(known.begin(), known.end(), kv.key()) == known.end()) {
        add(path + "." + std::string(kv.key()), config::unknownMessage("key", kv.key(), known));
      }
    }
    return true;
  }
  std::optional<std::string> string(const json::value& v, const std::string& path) {
    if (!v.is_string() || v.get_string().empty()) {
      add(path, "must be a non-empty string");
      return std::nullopt;
    }
    return std::string(v.get_string());
  }
  std::optional<int64_t> integer(const json::value& v, const std::string& path, int64_t lo,
                                 int64_t hi) {
    std::optional<int64_t> n;
    if (v.is_int64()) n = v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX))
      n = static_cast<int64_t>(v.get_uint64());
    if (v.is_string()) {  // the digits ${VAR} expansion left
      const auto s = v.get_string();
      if (!s.empty() && s.size() <= 18 &&
          std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        n = std::stoll(std::string(s));
    }
    if (!n || *n < lo || *n > hi) {
      add(path, "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
      return std::nullopt;
    }
    return n;
  }
  std::optional<bool> boolean(const json::value& v, const std::string& path) {
    if (auto b = config::boolOf(v)) return b;
    add(path, "must be true or false");
    return std::nullopt;
  }
};

bool validListName(std::string_view n) {
  if (n.empty() || n.size() > 128) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::optional<ThreatListConfig> parseList(Reader& r, const json::value& v, const std::string& at) {
  const std::size_t before = r.problems.size();
  if (!r.object(v, at, keysAt("threat_intel.lists[]"), "name, verdict, source, format, refresh, …"))
    return std::nullopt;
  const auto& o = v.get_object();
  ThreatListConfig l;
  auto need = [&](std::string_view key) -> const json::value* {
    const json::value* p = o.if_contains(key);
    if (!p) r.add(at + "." + std::string(key), "is required");
    return p;
  };
  if (const auto* n = need("name")) {
    if (auto s = r.string(*n, at + ".name")) {
      if (!validListName(*s)) {
        r.add(at + ".name",
              "'" + s->substr(0, 140) + "': a list name is 1 to 128 of A-Z a-z 0-9 . _ -");
      } else {
        l.name = *s;
      }
    }
  }
  if (const auto* n = need("verdict")) {
    if (!n->is_string() || !verdictFromName(n->get_string())) {
      r.add(at + ".verdict", "must be malicious or trusted");
    } else {
      l.verdict = *verdictFromName(n->get_string());
    }
  }
  if (const auto* n = need("source")) {
    if (auto s = r.string(*n, at + ".source")) {
      if (auto src = parseListSource(*s)) {
        l.source = std::move(*src);
      } else {
        r.add(at + ".source", src.error().message);
      }
    }
  }
  if (const auto* n = o.if_contains("region")) {
    if (auto s = r.string(*n, at + ".region")) {
      if (l.source.kind != ListSource::Kind::kS3 && r.problems.size() == before) {
        r.add(at + ".region", "is only for an s3:// source (the bucket's region)");
      } else {
        l.region = *s;
      }
    }
  }
  if (const auto* n = o.if_contains("format")) {
    if (n->is_string() && n->get_string() == "txt") {
      l.format = ListFormat::kTxt;
    } else if (n->is_string() && n->get_string() == "csv") {
      l.format = ListFormat::kCsv;
    } else {
      r.add(at + ".format",
            "must be txt (GuardDuty's plaintext: one address or CIDR a line) or csv");
    }
  }
  if (const auto* n = o.if_contains("csv")) {
    if (l.format != ListFormat::kCsv) {
      r.add(at + ".csv", "is only for format: csv");
    } else if (r.object(*n, at + ".csv", keysAt("threat_intel.lists[].csv"),
                        "column or column_index, header")) {
      const auto& c = n->get_object();
      const auto* col = c.if_contains("column");
      const auto* idx = c.if_contains("column_index");
      if (col && idx) {
        r.add(at + ".csv", "give either column (a header name) or column_index, not both");
      } else if (col) {
        if (auto s = r.string(*col, at + ".csv.column")) l.csv.column = *s;
      } else if (idx) {
        if (auto i = r.integer(*idx, at + ".csv.column_index", 0, 1000))
          l.csv.column_index = static_cast<std::size_t>(*i);
      }
      if (const auto* h = c.if_contains("header")) {
        const std::string_view hv = h->is_string() ? std::string_view(h->get_string()) : "";
        if (hv == "auto") {
          l.csv.header = CsvOptions::Header::kAuto;
        } else if (hv == "present") {
          l.csv.header = CsvOptions::Header::kPresent;
        } else if (hv == "absent") {
          l.csv.header = CsvOptions::Header::kAbsent;
        } else {
          r.add(at + ".csv.header", "must be auto, present or absent");
        }
      }
      if (col && l.csv.header == CsvOptions::Header::kAbsent) {
        r.add(at + ".csv.column", "a column named by its header needs a header (header: absent)");
      }
    }
  }
  if (const auto* n = o.if_contains("refresh")) {
    std::optional<int64_t> ms = n->is_string() ? parseWindow(n->get_string()) : std::nullopt;
    const int64_t min =
        l.source.remote() ? ThreatListConfig::kMinRemoteRefreshMs : ThreatListConfig::kMinRefreshMs;
    if (!ms || *ms < min || *ms > ThreatListConfig::kMaxRefreshMs) {
      r.add(at + ".refresh", "must be a duration from " + windowName(min) +
                                 " to 7d: a whole number and a unit s, m, h or d (\"1h\")" +
                                 (l.source.remote() ? " (at least 1m for a remote source)" : ""));
    } else {
      l.refresh_ms = *ms;
    }
  }
  if (const auto* n = o.if_contains("max_entries")) {
    if (auto i = r.integer(*n, at + ".max_entries", 1,
                           static_cast<int64_t>(ThreatListConfig::kMaxEntries)))
      l.max_entries = static_cast<std::size_t>(*i);
  }
  if (const auto* n = o.if_contains("description")) {
    if (auto s = r.string(*n, at + ".description")) l.description = *s;
  }
  if (const auto* n = o.if_contains("ca_file")) {
    if (auto s = r.string(*n, at + ".ca_file")) {
      if (l.source.kind != ListSource::Kind::kHttps && r.problems.size() == before) {
        r.add(at + ".ca_file", "is only for an https:// source (the CA bundle that verifies it)");
      } else {
        l.ca_file = *s;
      }
    }
  }
  if (r.problems.size() != before) return std::nullopt;
  return l;
}

std::optional<PublishConfig> parsePublish(Reader& r, const json::value& v, const std::string& at) {
  const std::size_t before = r.problems.size();
  if (!r.object(v, at, keysAt("threat_intel.publish"),
                "location, detector_id, name, activate, region"))
    return std::nullopt;
  const auto& o = v.get_object();
  PublishConfig p;
  if (const auto* n = o.if_contains("location"); !n) {
    r.add(at + ".location", "is required (s3://bucket/key: the object riposte keeps)");
  } else if (auto s = r.string(*n, at + ".location")) {
    auto src = parseListSource(*s);
    if (!src) {
      r.add(at + ".location", src.error().message);
    } else if (src->kind != ListSource::Kind::kS3) {
      r.add(at + ".location",
            "must be an S3 object (s3://bucket/key): GuardDuty reads its "
            "threat intel sets from S3");
    } else {
      p.location = std::move(*src);
    }
  }
  // GuardDuty's API model: DetectorId and Name are 1-300 characters.
  if (const auto* n = o.if_contains("detector_id"); !n) {
    r.add(at + ".detector_id",
          "is required (the GuardDuty detector: aws guardduty list-detectors)");
  } else if (auto s = r.string(*n, at + ".detector_id")) {
    const bool ok = s->size() <= 300 && std::all_of(s->begin(), s->end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                    });
    if (!ok) {
      r.add(at + ".detector_id", "'" + s->substr(0, 64) + "' is not a detector id (a-z 0-9)");
    } else {
      p.detector_id = *s;
    }
  }
  if (const auto* n = o.if_contains("name")) {
    if (auto s = r.string(*n, at + ".name")) {
      if (s->size() > 300 || std::any_of(s->begin(), s->end(), [](char c) {
            auto u = static_cast<unsigned char>(c);
            return u < 0x20 || u == 0x7f;
          })) {
        r.add(at + ".name", "must be 1 to 300 characters without control characters");
      } else {
        p.name = *s;
      }
    }
  }
  if (const auto* n = o.if_contains("activate")) {
    if (auto b = r.boolean(*n, at + ".activate")) p.activate = *b;
  }
  if (const auto* n = o.if_contains("region")) {
    if (auto s = r.string(*n, at + ".region")) p.region = *s;
  }
  if (r.problems.size() != before) return std::nullopt;
  return p;
}

}  // namespace

ThreatIntelConfig parseThreatIntel(const json::value& v, Problems& problems) {
  Reader r{problems};
  ThreatIntelConfig out;
  const std::string at = "threat_intel";
  if (!r.object(v, at, keysAt("threat_intel"), "lists, publish")) return out;
  const auto& o = v.get_object();
  if (const auto* lists = o.if_contains("lists")) {
    if (!lists->is_array()) {
      r.add(at + ".lists", "must be a list of lists ({name, verdict, source, format, refresh})");
    } else {
      std::set<std::string> names;
      const auto& a = lists->get_array();
      for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string p = at + ".lists[" + std::to_string(i) + "]";
        auto l = parseList(r, a[i], p);
        if (!l) continue;
        if (!names.insert(l->name).second) {
          r.add(p + ".name", "duplicate list name '" + l->name + "'");
          continue;
        }
        out.lists.push_back(std::move(*l));
      }
    }
  }
  if (const auto* pub = o.if_contains("publish"))
    out.publish = parsePublish(r, *pub, at + ".publish");
  return out;
}

}  // namespace riposte::policy
