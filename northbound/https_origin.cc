#include "northbound/https_origin.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <random>

#include "common/backoff.h"
#include "common/log.h"
#include "common/uv.h"
#include "northbound/metadata.h"
#include "northbound/response_headers.h"

namespace fleetgate::northbound {
namespace {

const Logger kLog("northbound");

std::string percent_encode_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

class HttpsOriginImpl final : public HttpsOrigin {
 public:
  HttpsOriginImpl(OriginUrl url, OriginOptions options)
      : url_(std::move(url)),
        options_(std::move(options)),
        backoff_(options_.retry_base, options_.retry_cap,
                 options_.seed ? options_.seed : std::random_device{}()),
        loop_(std::make_unique<uv::Loop>()),
        wakeup_(new uv_async_t) {
    // cancel() comes from another thread: uv_async_send is the one thread-safe way in.
    uv_async_init(loop_->raw(), wakeup_, [](uv_async_t* h) {
      auto* self = static_cast<HttpsOriginImpl*>(h->data);
      if (self->cancelled_.load() && self->client_ && self->client_->busy()) {
        self->client_->cancel();
      }
    });
    wakeup_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(wakeup_));  // never keeps the loop alive
  }

  ~HttpsOriginImpl() override {
    client_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(wakeup_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    if (loop_) {
      // Finish deferred deletes and close callbacks before the loop goes.
      loop_->run_nowait();
      loop_->run_nowait();
      Status closed = loop_->close();
      if (!closed.ok()) kLog.error("origin loop did not close", {{"error", closed.error()}});
    }
  }

  std::string describe() const override { return url_.to_string(); }

  void cancel() override {
    cancelled_.store(true);
    uv_async_send(wakeup_);
  }
  const OriginCounters& counters() const override {
    if (client_) {
      counters_.wire_bytes = wire_base_ + client_->bytes_received();
      counters_.connections = conn_base_ + client_->connections_opened();
    }
    return counters_;
  }

  using Origin::fetch;
  Status fetch(std::string_view path, uint64_t offset, uint64_t max_bytes, const Sink& sink,
               const Restart& restart) override {
    if (!is_safe_target_name(path)) {
      return make_error(Errc::invalid_argument, "path",
                        "refusing to fetch unsafe path '" + std::string(path) + "'");
    }
    if (!client_) client_ = std::make_unique<HttpClient>(*loop_, url_, options_.http);

    Fetch f(std::string(path), offset, max_bytes, sink, restart);
    if (offset > 0) f.expected_total = max_bytes;
    uint32_t idle_attempts = 0;
    uint32_t resumes = 0;
    bool troubled = false;
    while (true) {
      if (cancelled_.load()) return cancelled_error(f);
      const uint64_t before = f.received;
      Status s = attempt(f);
      if (s.ok()) {
        backoff_.reset();
        if (options_.wan_state) options_.wan_state->record_success(troubled);
        return s;
      }
      Error e = s.take_error();
      if (cancelled_.load()) return cancelled_error(f);
      const bool link_error = e.code == Errc::network || e.code == Errc::timeout;
      // A refused certificate or pin does not get better by asking again.
      const bool retriable =
          link_error && !f.final_error && e.detail != "tls_verify" && e.detail != "tls_pin";
      if (!retriable) {
        if (options_.wan_state) {
          if (link_error) {
            options_.wan_state->record_failure(e);
          } else {
            options_.wan_state->record_success(troubled);  // the origin answered
          }
        }
        return e;
      }
      troubled = true;
      if (f.received > before) {
        if (++resumes > options_.max_resumes) return give_up(std::move(e));
        ++counters_.resumes;
        idle_attempts = 0;
        kLog.info("resuming transfer", {{"path", f.path}, {"offset", f.pos}, {"after", e.message}});
        continue;
      }
      if (++idle_attempts >= options_.max_attempts) return give_up(std::move(e));
      auto delay = backoff_.next();
      kLog.warn("origin request failed; retrying",
                {{"path", f.path}, {"error", e}, {"delay_ms", delay.count()}});
      wait(delay);
    }
  }

 private:
  struct Fetch;
  // Not a WAN outcome: the link is neither better nor worse for it.
  Error cancelled_error(const Fetch& f) const {
    return make_error(
        Errc::cancelled, "cancelled",
        "fetch of " + describe() + f.path + " cancelled at byte " + std::to_string(f.pos));
  }
  Error give_up(Error e) {
    if (options_.wan_state) options_.wan_state->record_failure(e);
    return e;
  }
  struct Fetch {
    Fetch(std::string p, uint64_t offset, uint64_t max, const Sink& s, const Restart& r)
        : path(std::move(p)), pos(offset), max_bytes(max), sink(s), restart(r) {}
    std::string path;
    uint64_t pos;  // next byte to deliver
    uint64_t max_bytes;
    const Sink& sink;
    const Restart& restart;
    uint64_t received = 0;  // body bytes received, dropped ones too: progress for resumes
    std::optional<uint64_t> expected_total;
    uint64_t skip = 0;         // bytes of a 200 to drop before delivering (restart)
    bool final_error = false;  // not worth retrying (verification, sink, not found)
    bool replay = false;       // 304: deliver the kept body
    std::string keep;          // body of a conditional path, kept for a later 304
    std::string etag;
  };

  bool conditional(const std::string& path) const {
    return std::find(options_.conditional_paths.begin(), options_.conditional_paths.end(), path) !=
           options_.conditional_paths.end();
  }

  void wait(std::chrono::milliseconds delay) {
    bool done = false;
    uv::Timer t(*loop_);
    t.start(delay, [&] { done = true; });
    while (!done && !cancelled_.load()) loop_->run_once();
  }

  Status deliver(Fetch& f, std::string_view bytes) {
    f.received += bytes.size();
    if (f.skip > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(f.skip, bytes.size()));
      f.skip -= n;
      bytes.remove_prefix(n);
    }
    if (bytes.empty()) return ok_status();
    const uint64_t allowed =
        f.pos >= f.max_bytes ? 0 : std::min<uint64_t>(bytes.size(), f.max_bytes - f.pos);
    if (allowed > 0) {
      auto piece = bytes.substr(0, static_cast<size_t>(allowed));
      if (conditional(f.path)) f.keep.append(piece);
      Status s = f.sink(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(piece.data()), piece.size()));
      if (!s.ok()) {
        f.final_error = true;
        return s;
      }
      f.pos += allowed;
    }
    if (allowed < bytes.size()) {
      f.final_error = true;
      return make_error(Errc::verification, "length_exceeded",
                        "length exceeded: " + describe() + f.path + " is longer than the " +
                            std::to_string(f.max_bytes) + " bytes allowed");
    }
    return ok_status();
  }

  Status on_head(Fetch& f, const http::Message& m) {
    const std::string where = describe() + f.path;
    f.skip = 0;
    f.replay = false;
    if (const std::string* etag = m.header("etag"); etag && (m.status == 200 || m.status == 206)) {
      if (is_strong_etag(*etag)) etags_[f.path] = *etag;
      f.etag = *etag;
    }
    auto refuse = [&](std::string detail, std::string message) -> Status {
      f.final_error = true;
      return make_error(Errc::verification, std::move(detail), where + ": " + message);
    };
    switch (m.status) {
      case 200: {
        if (const std::string* cl = m.header("content-length")) {
          if (std::optional<uint64_t> len = parse_content_length(*cl)) {
            if (f.expected_total && *f.expected_total != *len && f.pos > 0) {
              return refuse("length_mismatch", "origin now announces " + std::to_string(*len) +
                                                   " bytes, expected " +
                                                   std::to_string(*f.expected_total));
            }
            if (!f.expected_total) f.expected_total = *len;
          }
        }
        if (f.pos > 0) {
          // The origin ignored our range (or If-Range failed): start over from byte 0,
          // through the caller's restart hook when it has one.
          ++counters_.restarts;
          kLog.warn("origin answered a range request with the whole file; restarting",
                    {{"path", f.path}, {"offset", f.pos}});
          if (f.restart) {
            if (Status r = f.restart(); !r.ok()) {
              f.final_error = true;
              return r;
            }
            f.pos = 0;
          } else {
            f.skip = f.pos;
          }
        }
        if (conditional(f.path)) f.keep.clear();
        return ok_status();
      }
      case 206: {
        const std::string* h = m.header("content-range");
        auto cr = h ? parse_content_range(*h) : std::nullopt;
        if (!cr || !cr->first)
          return refuse("bad_content_range", "206 without a valid Content-Range");
        if (*cr->first != f.pos) {
          return refuse("bad_content_range", "206 starts at byte " + std::to_string(*cr->first) +
                                                 ", asked for " + std::to_string(f.pos));
        }
        if (f.expected_total && cr->complete != *f.expected_total) {
          return refuse("length_mismatch", "206 says the file has " + std::to_string(cr->complete) +
                                               " bytes, expected " +
                                               std::to_string(*f.expected_total));
        }
        f.expected_total = cr->complete;
        return ok_status();
      }
      case 304: {
        auto kept = kept_.find(f.path);
        if (kept == kept_.end()) {
          return make_error(Errc::network, "unexpected_304",
                            where + ": 304 to an unconditional GET");
        }
        ++counters_.not_modified;
        f.replay = true;
        return ok_status();
      }
      case 416: {
        const std::string* h = m.header("content-range");
        auto cr = h ? parse_content_range(*h) : std::nullopt;
        if (cr && !cr->first && cr->complete == f.pos && f.pos > 0 &&
            (!f.expected_total || *f.expected_total == f.pos)) {
          f.expected_total = f.pos;  // everything is held: complete
          return ok_status();
        }
        return refuse("range_not_satisfiable", "416 for bytes " + std::to_string(f.pos) + "- (" +
                                                   (h ? *h : "no Content-Range") + ")");
      }
      case 404:
      case 410:
        f.final_error = true;
        return make_error(Errc::not_found, "not_found",
                          "origin has no " + f.path + " (" + std::to_string(m.status) + ")");
      default:
        return make_error(Errc::network, "http_status",
                          where + ": origin answered " + std::to_string(m.status));
    }
  }

  Status attempt(Fetch& f) {
    std::vector<http::Header> headers;
    if (f.pos > 0) {
      headers.push_back({"Range", "bytes=" + std::to_string(f.pos) + "-"});
      auto etag = etags_.find(f.path);
      if (etag != etags_.end()) headers.push_back({"If-Range", etag->second});
    } else if (conditional(f.path)) {
      auto kept = kept_.find(f.path);
      if (kept != kept_.end()) headers.push_back({"If-None-Match", kept->second.etag});
    }
    ++counters_.requests;
    bool done = false;
    int status = 0;
    Status outcome;
    client_->request(
        "GET", url_.base_path + percent_encode_path(f.path), std::move(headers),
        [&](const http::Message& m) {
          status = m.status;
          return on_head(f, m);
        },
        [&](std::string_view bytes) -> Status {
          if (status != 200 && status != 206) return ok_status();  // error bodies are dropped
          counters_.body_bytes += bytes.size();
          return deliver(f, bytes);
        },
        [&](Status s) {
          outcome = std::move(s);
          done = true;
        });
    while (!done) loop_->run_once();
    if (!outcome.ok()) return outcome;
    if (f.replay) {
      const std::string body = kept_[f.path].body;  // a copy: deliver() may re-keep
      f.keep.clear();
      FG_TRY(deliver(f, body));
      return ok_status();
    }
    if (f.skip > 0) {
      return make_error(Errc::network, "truncated", "body ended before the restart point");
    }
    if (status == 200 || status == 206) {
      if (f.expected_total && f.pos != *f.expected_total && f.pos < f.max_bytes) {
        return make_error(Errc::network, "truncated",
                          describe() + f.path + ": body ended at byte " + std::to_string(f.pos) +
                              " of " + std::to_string(*f.expected_total));
      }
      if (conditional(f.path) && !f.etag.empty() && f.pos == f.keep.size()) {
        kept_[f.path] = Kept{f.etag, f.keep};
      }
    }
    return ok_status();
  }

  struct Kept {
    std::string etag;
    std::string body;
  };

  OriginUrl url_;
  OriginOptions options_;
  Backoff backoff_;
  std::unique_ptr<uv::Loop> loop_;
  uv_async_t* wakeup_;  // freed in its close callback
  std::atomic<bool> cancelled_{false};
  std::unique_ptr<HttpClient> client_;
  std::map<std::string, std::string> etags_;  // path -> last strong ETag
  std::map<std::string, Kept> kept_;          // conditional paths
  mutable OriginCounters counters_;
  uint64_t wire_base_ = 0;
  uint64_t conn_base_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpsOrigin>> open_https_origin(std::string_view url,
                                                       const OriginOptions& options) {
  FG_ASSIGN_OR_RETURN(OriginUrl parsed, OriginUrl::parse(url));
  OriginOptions opts = options;
  if (opts.wan_rate > 0 && !opts.http.wan_rate) {
    opts.http.wan_rate = std::make_shared<TokenBucket>(
        opts.wan_rate, std::max<uint64_t>(opts.wan_rate / 4, 64 * 1024),
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(uv_hrtime())));
  }
  if (parsed.scheme == "https" && !opts.http.tls) {
    FG_ASSIGN_OR_RETURN(opts.http.tls, tls::ClientContext::create(opts.tls));
  }
  return std::unique_ptr<HttpsOrigin>(new HttpsOriginImpl(std::move(parsed), std::move(opts)));
}

Result<std::unique_ptr<Origin>> open_origin(std::string_view url, const OriginOptions& options) {
  if (url.substr(0, 7) == "file://") return open_file_origin(url);
  FG_ASSIGN_OR_RETURN(std::unique_ptr<HttpsOrigin> o, open_https_origin(url, options));
  return std::unique_ptr<Origin>(std::move(o));
}

}  // namespace fleetgate::northbound
