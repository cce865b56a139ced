#include "ferry/host/server/config.hpp"

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace ferry::host::server {
namespace {

using sdk::ErrorCode;

constexpr std::size_t kMinTokenLength = 16;

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  void error(const YAML::Mark& mark, const std::string& message) {
    std::ostringstream line;
    line << file_;
    if (!mark.is_null()) line << ":" << mark.line + 1 << ":" << mark.column + 1;
    line << ": " << message;
    errors_.push_back(line.str());
  }

  // Reports keys of `node` outside `allowed`; false when node is not a mapping.
  bool mapping(const YAML::Node& node, const std::string& what,
               const std::set<std::string>& allowed) {
    if (!node.IsMap()) {
      error(node.Mark(), what + " must be a mapping");
      return false;
    }
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      if (allowed.count(key) == 0) {
        std::string known;
        for (const auto& k : allowed) known += (known.empty() ? "" : ", ") + k;
        error(entry.first.Mark(),
              "unknown key '" + key + "' in " + what + " (known: " + known + ")");
      }
    }
    return true;
  }

  bool text(const YAML::Node& node, const std::string& key, std::string& out) {
    if (!node.IsScalar()) {
      error(node.Mark(), key + " must be a string");
      return false;
    }
    out = node.Scalar();
    return true;
  }

  template <typename Int>
  void number(const YAML::Node& node, const std::string& key, long long min, long long max,
              Int& out) {
    long long value = 0;
    if (!node.IsScalar() || !YAML::convert<long long>::decode(node, value) || value < min ||
        value > max) {
      error(node.Mark(), key + " must be a whole number from " + std::to_string(min) + " to " +
                             std::to_string(max));
      return;
    }
    out = static_cast<Int>(value);
  }

  void list(const YAML::Node& node, const std::string& key, std::vector<std::string>& out) {
    if (node.IsScalar()) {
      out.push_back(node.Scalar());
      return;
    }
    if (!node.IsSequence()) {
      error(node.Mark(), key + " must be a list of strings");
      return;
    }
    for (const auto& item : node) {
      std::string value;
      if (text(item, key + " entry", value)) out.push_back(value);
    }
  }

  const std::vector<std::string>& errors() const noexcept { return errors_; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

}  // namespace

sdk::Result<ServeConfig> parseServeConfig(const std::string& text, const std::string& file) {
  ServeConfig config;
  config.file = file;
  Reader r(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    r.error(e.mark, "not valid YAML: " + e.msg);
    return sdk::Error::make(ErrorCode::kInvalidArgument, r.errors().front());
  }
  if (root.IsNull()) return config;  // an empty file: every default
  static const std::set<std::string> kTop{
      "listen", "tls",        "public_url", "state",  "plugin_dirs", "flow_dir", "log",
      "tokens", "token_file", "master_key", "limits", "scheduler",   "oauth"};
  if (r.mapping(root, "the configuration", kTop)) {
    for (const auto& entry : root) {
      const std::string key = entry.first.Scalar();
      const YAML::Node& v = entry.second;
      if (key == "listen" && r.mapping(v, "listen", {"address", "port"})) {
        if (v["address"]) r.text(v["address"], "listen.address", config.address);
        if (v["port"]) r.number(v["port"], "listen.port", 0, 65535, config.port);
      } else if (key == "tls" && r.mapping(v, "tls", {"certificate", "key"})) {
        if (v["certificate"]) r.text(v["certificate"], "tls.certificate", config.tlsCertificate);
        if (v["key"]) r.text(v["key"], "tls.key", config.tlsKey);
        if (config.tlsCertificate.empty() != config.tlsKey.empty()) {
          r.error(v.Mark(), "tls needs both certificate and key");
        }
      } else if (key == "public_url") {
        if (r.text(v, key, config.publicUrl) && config.publicUrl.rfind("http://", 0) != 0 &&
            config.publicUrl.rfind("https://", 0) != 0) {
          r.error(v.Mark(), "public_url must start with http:// or https://");
        }
        while (!config.publicUrl.empty() && config.publicUrl.back() == '/') {
          config.publicUrl.pop_back();
        }
      } else if (key == "state") {
        r.text(v, key, config.stateUrl);
      } else if (key == "plugin_dirs") {
        r.list(v, key, config.pluginDirs);
      } else if (key == "flow_dir") {
        r.text(v, key, config.flowDir);
      } else if (key == "log" && r.mapping(v, "log", {"format", "level", "file"})) {
        std::string word;
        if (v["format"] && r.text(v["format"], "log.format", word)) {
          if (auto f = parseLogFormat(word)) {
            config.log.format = *f;
          } else {
            r.error(v["format"].Mark(), f.error().message);
          }
        }
        if (v["level"] && r.text(v["level"], "log.level", word)) {
          if (auto l = parseLogLevel(word)) {
            config.log.level = *l;
          } else {
            r.error(v["level"].Mark(), l.error().message);
          }
        }
        if (v["file"]) r.text(v["file"], "log.file", config.log.file);
      } else if (key == "tokens") {
        r.list(v, key, config.tokens);
      } else if (key == "token_file") {
        r.text(v, key, config.tokenFile);
      } else if (key == "master_key" && r.mapping(v, "master_key", {"env", "file"})) {
        if (v["env"]) r.text(v["env"], "master_key.env", config.masterKey.envVar);
        if (v["file"]) r.text(v["file"], "master_key.file", config.masterKey.file);
      } else if (key == "limits" && r.mapping(v, "limits", {"max_body_bytes"})) {
        if (v["max_body_bytes"]) {
          r.number(v["max_body_bytes"], "limits.max_body_bytes", 1024, 256LL << 20,
                   config.maxBodyBytes);
        }
      } else if (key == "oauth" && r.mapping(v, "oauth", {"state_ttl"})) {
        if (v["state_ttl"]) {
          r.number(v["state_ttl"], "oauth.state_ttl", 1, 86400, config.oauthStateTtlSeconds);
        }
      } else if (key == "scheduler" && r.mapping(v, "scheduler", {"threads", "node"})) {
        if (v["threads"]) r.number(v["threads"], "scheduler.threads", 1, 64, config.threads);
        if (v["node"]) r.text(v["node"], "scheduler.node", config.node);
      }
    }
  }
  if (!r.errors().empty()) {
    std::string all;
    for (const auto& e : r.errors()) all += (all.empty() ? "" : "\n") + e;
    return sdk::Error::make(ErrorCode::kInvalidArgument, all);
  }
  return config;
}

sdk::Result<ServeConfig> loadServeConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return sdk::Error::make(ErrorCode::kNotFound, "cannot read configuration file " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parseServeConfig(text.str(), path);
}

sdk::Result<std::vector<std::string>> loadAdminTokens(const ServeConfig& config) {
  std::vector<std::string> tokens = config.tokens;
  if (!config.tokenFile.empty()) {
    struct stat info {};
    if (::stat(config.tokenFile.c_str(), &info) != 0) {
      return sdk::Error::make(ErrorCode::kNotFound, "cannot read token file " + config.tokenFile);
    }
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      return sdk::Error::make(
          ErrorCode::kPermissionDenied,
          "token file " + config.tokenFile + " is readable by group or others; chmod 600 it");
    }
    std::ifstream in(config.tokenFile);
    std::string line;
    while (std::getline(in, line)) {
      if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos) continue;
      const auto last = line.find_last_not_of(" \t\r");
      tokens.push_back(line.substr(first, last - first + 1));
    }
  }
  if (tokens.empty()) {
    return sdk::Error::make(ErrorCode::kInvalidArgument,
                            "no admin tokens: set token_file (one token a line) or tokens in " +
                                config.file + "; create one with `openssl rand -hex 32`");
  }
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].size() < kMinTokenLength) {
      return sdk::Error::make(ErrorCode::kInvalidArgument,
                              "admin token #" + std::to_string(i + 1) + " is shorter than " +
                                  std::to_string(kMinTokenLength) + " characters");
    }
  }
  return tokens;
}

}  // namespace ferry::host::server
