#include "engine/threat_publish.h"

#include <map>

#include "aws/s3.h"
#include "aws/sigv4.h"
#include "core/log.h"
#include "policy/ip.h"

namespace riposte::engine {

BlockPublisher::BlockPublisher(store::Store& store, const Clock& clock, Metrics& metrics)
    : store_(store), clock_(clock), metrics_(metrics) {}

void BlockPublisher::declareMetrics(Metrics& m) {
  m.declare("riposte_threat_published_addresses",
            "Addresses in the threat list riposte publishes for GuardDuty (what it blocks now)",
            "gauge");
  m.declare("riposte_threat_publish_failures_total",
            "Failed publications of the blocked addresses, by step (read, s3, guardduty)",
            "counter");
}

void BlockPublisher::configure(std::optional<policy::PublishConfig> publish,
                               std::string default_region, std::shared_ptr<aws::Client> aws,
                               std::vector<std::string> block_actions) {
  std::lock_guard sync_lock(sync_mu_);
  std::lock_guard lock(mu_);
  const bool same = publish_ && publish && publish_->location == publish->location &&
                    publish_->detector_id == publish->detector_id &&
                    publish_->name == publish->name && publish_->region == publish->region &&
                    default_region_ == default_region;
  if (!same) {
    set_id_.clear();
    written_.reset();
  }
  publish_ = std::move(publish);
  default_region_ = std::move(default_region);
  aws_ = std::move(aws);
  block_actions_ = std::move(block_actions);
  dirty_ = publish_.has_value();
}

bool BlockPublisher::configured() const {
  std::lock_guard lock(mu_);
  return publish_.has_value();
}

void BlockPublisher::markDirty() {
  std::lock_guard lock(mu_);
  if (publish_) dirty_ = true;
}

bool BlockPublisher::due() const {
  std::lock_guard lock(mu_);
  return dirty_ && clock_.nowMillis() >= retry_at_ms_;
}

Result<std::vector<std::string>> BlockPublisher::blockedAddresses() {
  std::vector<std::string> names;
  {
    std::lock_guard lock(mu_);
    names = block_actions_;
  }
  auto recs = store_.actionsWithStatus(names, "succeeded");
  if (!recs) return fail(recs.error());
  // (where, address) → blocked: "where" is the network ACL or IP set, so an eviction from one
  // ACL does not hide the same address blocked elsewhere.
  std::set<std::pair<std::string, std::string>> blocked;
  for (const auto& r : *recs) {
    auto out = parseJson(r.output, 64);
    if (!out || !out->is_object()) continue;
    const auto& o = out->as_object();
    auto text = [&](const json::object& x, std::string_view k) -> std::string {
      const json::value* v = x.if_contains(k);
      return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    std::string where = text(o, "networkAclId");
    if (where.empty()) where = text(o, "ipSetId");
    if (const json::value* ev = o.if_contains("evicted"); ev && ev->is_object()) {
      blocked.erase({where, text(ev->as_object(), "cidr")});
    }
    const std::string cidr = text(o, "cidr");
    if (!cidr.empty()) blocked.insert({where, cidr});
  }
  std::set<std::string> addresses;
  for (const auto& [where, cidr] : blocked) {
    // A host is written as its address ("198.51.100.7"), a wider block as its CIDR.
    auto c = policy::Cidr::make(cidr);
    if (!c) continue;  // not an address riposte wrote: left out
    addresses.insert(c->prefix() == c->network().bits() ? c->network().str() : c->str());
  }
  return std::vector<std::string>(addresses.begin(), addresses.end());
}

std::string BlockPublisher::txt(const std::vector<std::string>& addresses) {
  std::string out;
  for (const auto& a : addresses) out += a + "\n";
  return out;
}

Result<std::string> BlockPublisher::ensureSet(const aws::Client& aws,
                                              const policy::PublishConfig& p,
                                              const std::string& region,
                                              const std::string& location, bool& created) {
  const std::string base = "/detector/" + aws::uriEncode(p.detector_id) + "/threatintelset";
  std::string id;
  {
    std::lock_guard lock(mu_);
    id = set_id_;
  }
  if (id.empty()) {
    // ListThreatIntelSets (paginated, at most 50 a page), GetThreatIntelSet for each name.
    std::string token;
    for (int page = 0; page < 100 && id.empty(); ++page) {
      aws::Call list{.service = "guardduty", .region = region, .action = "ListThreatIntelSets"};
      list.method = "GET";
      list.path = base;
      list.query = {{"maxResults", "50"}};
      if (!token.empty()) list.query.emplace_back("nextToken", token);
      auto r = aws.restJson(list);
      if (!r) return fail(r.error());
      const json::value* ids =
          r->is_object() ? r->as_object().if_contains("threatIntelSetIds") : nullptr;
      if (ids && ids->is_array()) {
        for (const auto& v : ids->as_array()) {
          if (!v.is_string()) continue;
          aws::Call get{.service = "guardduty", .region = region, .action = "GetThreatIntelSet"};
          get.method = "GET";
          get.path = base + "/" + aws::uriEncode(std::string(v.as_string()));
          auto g = aws.restJson(get);
          if (!g) return fail(g.error());
          const json::value* n = g->is_object() ? g->as_object().if_contains("name") : nullptr;
          if (n && n->is_string() && n->as_string() == p.name) {
            id = std::string(v.as_string());
            break;
          }
        }
      }
      const json::value* next = r->is_object() ? r->as_object().if_contains("nextToken") : nullptr;
      if (!next || !next->is_string() || next->as_string().empty()) break;
      token = std::string(next->as_string());
    }
  }
  if (id.empty()) {
    aws::Call create{.service = "guardduty", .region = region, .action = "CreateThreatIntelSet"};
    create.method = "POST";
    create.path = base;
    create.body = json::object{
        {"name", p.name},
        {"format", "TXT"},
        {"location", location},
        {"activate", p.activate},
        // Idempotency: two workers creating the set at once create one (GuardDuty: 0-64).
        {"clientToken", "riposte-" + aws::sha256Hex(p.detector_id + "\n" + p.name).substr(0, 48)}};
    auto r = aws.restJson(create);
    if (!r) return fail(r.error());
    const json::value* v =
        r->is_object() ? r->as_object().if_contains("threatIntelSetId") : nullptr;
    if (!v || !v->is_string() || v->as_string().empty()) {
      return fail("MalformedResponse", "CreateThreatIntelSet returned no threatIntelSetId");
    }
    created = true;
    id = std::string(v->as_string());
  } else {
    aws::Call update{.service = "guardduty", .region = region, .action = "UpdateThreatIntelSet"};
    update.method = "POST";
    update.path = base + "/" + aws::uriEncode(id);
    update.body = json::object{{"name", p.name}, {"location", location}, {"activate", p.activate}};
    auto r = aws.restJson(update);
    if (!r) {
      // The set was deleted meanwhile: find or create it again at the next sync.
      if (r.error().code == "BadRequestException") {
        std::lock_guard lock(mu_);
        set_id_.clear();
      }
      return fail(r.error());
    }
  }
  std::lock_guard lock(mu_);
  set_id_ = id;
  return id;
}

Result<json::value> BlockPublisher::sync(bool force) {
  std::lock_guard sync_lock(sync_mu_);
  std::optional<policy::PublishConfig> publish;
  std::shared_ptr<aws::Client> aws;
  std::string region;
  std::optional<std::string> written;
  {
    std::lock_guard lock(mu_);
    publish = publish_;
    aws = aws_;
    written = written_;
    dirty_ = false;
    if (publish) region = publish->region.empty() ? default_region_ : publish->region;
  }
  if (!publish) return json::value(json::object{{"published", false}});
  auto failed = [&](const char* step, const Error& e) -> Result<json::value> {
    metrics_.inc("riposte_threat_publish_failures_total", {{"step", step}});
    logWarn("blocked addresses not published",
            {{"step", step}, {"error", e.str()}, {"location", publish->location.text}});
    std::lock_guard lock(mu_);
    last_result_ = "failed";
    last_error_ = std::string(step) + ": " + e.str();
    dirty_ = true;  // tried again, a minute from now
    retry_at_ms_ = clock_.nowMillis() + 60'000;
    return fail(e);
  };
  if (!aws) return failed("s3", Error{"NoCredentials", "no AWS client is configured"});
  auto addresses = blockedAddresses();
  if (!addresses) return failed("read", addresses.error());
  const std::string text = txt(*addresses);
  bool wrote = false;
  if (force || !written || *written != text) {
    auto put =
        aws::s3PutObject(*aws, region, publish->location.bucket, publish->location.key, text);
    if (!put) return failed("s3", put.error());
    wrote = true;
  }
  bool created = false;
  std::string id;
  {
    std::lock_guard lock(mu_);
    id = set_id_;
  }
  // GuardDuty reads the list again when its set is updated: after every write, and once to
  // find (or create) the set.
  if (wrote || id.empty()) {
    auto set = ensureSet(*aws, *publish, region, publish->locationUrl(region), created);
    if (!set) {
      if (wrote) {
        std::lock_guard lock(mu_);
        written_ = text;  // the object is current; GuardDuty is told at the next sync
      }
      return failed("guardduty", set.error());
    }
    id = *set;
  }
  metrics_.set("riposte_threat_published_addresses", {}, static_cast<double>(addresses->size()));
  {
    std::lock_guard lock(mu_);
    written_ = text;
    addresses_ = addresses->size();
    published_ms_ = clock_.nowMillis();
    last_result_ = "ok";
    last_error_.clear();
    retry_at_ms_ = 0;
  }
  if (wrote) {
    logInfo("blocked addresses published", {{"addresses", std::to_string(addresses->size())},
                                            {"location", publish->location.text},
                                            {"threat_intel_set", id},
                                            {"created", created ? "true" : "false"}});
  }
  return json::value(json::object{{"published", true},
                                  {"addresses", addresses->size()},
                                  {"written", wrote},
                                  {"threatIntelSetId", id},
                                  {"created", created}});
}

json::value BlockPublisher::statusJson() const {
  std::lock_guard lock(mu_);
  if (!publish_) return nullptr;
  const std::string region = publish_->region.empty() ? default_region_ : publish_->region;
  return json::object{
      {"location", publish_->location.text},
      {"locationUrl", publish_->locationUrl(region)},
      {"detectorId", publish_->detector_id},
      {"name", publish_->name},
      {"activate", publish_->activate},
      {"threatIntelSetId", set_id_.empty() ? json::value() : json::value(set_id_)},
      {"addresses", addresses_},
      {"publishedAt",
       published_ms_ ? json::value(formatIso8601Millis(published_ms_)) : json::value()},
      {"lastResult", last_result_.empty() ? json::value() : json::value(last_result_)},
      {"lastError", last_error_.empty() ? json::value() : json::value(last_error_)},
      {"description", publish_->describe()}};
}

}  // namespace riposte::engine
