#include "sim/scenario/loader_node.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "sim/scenario/units.hpp"

namespace sim::scenario::detail {
namespace {

// yaml-cpp marks are 0-based and may be unset (-1) on synthesized nodes.
SourceLoc to_loc(const YAML::Mark& mark, const std::string& file, int column_offset,
                 const SourceLoc& fallback) {
  if (mark.line < 0 || mark.column < 0) return fallback;
  return SourceLoc{file, mark.line + 1, mark.column + 1 + (mark.line == 0 ? column_offset : 0)};
}

// yaml-cpp's messages name the symptom; say what usually causes it.
std::string syntax_hint(const std::string& msg) {
  if (msg.find("flow not found") != std::string::npos) {
    return "a '[' or '{' opened earlier is never closed";
  }
  if (msg.find("tab") != std::string::npos) return "indent with spaces, not tabs";
  if (msg == "bad file") {
    // yaml-cpp's word for its nesting guard (and a few other unreadable inputs).
    return "the text may nest too deeply (a scenario nests at most " + std::to_string(kMaxDepth) +
           " levels) or not be YAML";
  }
  if (msg.find("illegal map value") != std::string::npos) {
    return "check the indentation of this line against the one above, or quote a value that "
           "contains ': '";
  }
  return {};
}

// How much of a document convert() copies: yaml-cpp shares the node an alias refers to, our tree
// copies it, so aliases of aliases multiply (billion laughs) and an alias inside its own anchor
// (`x: &a [*a]`) never ends. Both are cut off here, before they cost memory or stack.
struct Budget {
  std::size_t nodes = 0;
};

// Where each document of a stream starts: its first node (where YAML::Node::Mark() points), or
// its start when it has none. The parse builds nothing.
struct DocumentStarts : YAML::EventHandler {
  std::vector<YAML::Mark> marks;
  bool first_node = false;
  void node(const YAML::Mark& mark) {
    if (first_node) marks.back() = mark;
    first_node = false;
  }
  void OnDocumentStart(const YAML::Mark& mark) override {
    marks.push_back(mark);
    first_node = true;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}
};

// yaml-cpp's tag of a node written without one: "?" (plain scalar, list, map), "!" (quoted
// scalar, or the non-specific tag `!`), "" (null).
bool untagged(const std::string& tag) { return tag.empty() || tag == "?" || tag == "!"; }

Node convert(const YAML::Node& y, const std::string& file, int column_offset,
             const SourceLoc& fallback, int depth, Budget& budget) {
  Node n;
  n.loc = to_loc(y.Mark(), file, column_offset, fallback);
  if (depth > kMaxDepth) {
    fail(n.loc, "", "the document nests deeper than " + std::to_string(kMaxDepth) + " levels",
         "a scenario needs a handful of levels; an alias inside its own anchor (x: &a [*a]) nests "
         "forever");
  }
  if (++budget.nodes > kMaxNodes) {
    fail(n.loc, "", "the document has more than " + std::to_string(kMaxNodes) + " values",
         "each alias (*name) is a copy of what its anchor names, so aliases of aliases multiply; "
         "write the values out or use fewer aliases");
  }
  if (y.IsDefined() && !untagged(y.Tag())) {
    std::string tag = y.Tag();
    if (tag.starts_with("tag:yaml.org,2002:")) tag = "!!" + tag.substr(18);  // as written
    fail(n.loc, "", "YAML tag '" + tag + "' is not supported",
         "scenario values take no tags (!!str, !!binary, !name, ...): remove it, and quote a value "
         "that must stay text");
  }
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      // yaml-cpp places an empty value at the next token, which misleads; the owner (the key, or
      // the list dash) is where the user has to look.
      n.kind = Node::Kind::Null;
      n.loc = fallback;
      break;
    case YAML::NodeType::Scalar:
      n.kind = Node::Kind::Scalar;
      n.text = y.Scalar();
      break;
    case YAML::NodeType::Sequence:
      n.kind = Node::Kind::Seq;
      for (const YAML::Node& item : y) {
        n.items.push_back(convert(item, file, column_offset, n.loc, depth + 1, budget));
      }
      break;
    case YAML::NodeType::Map:
      n.kind = Node::Kind::Map;
      for (const auto& pair : y) {
        n.keys.push_back(convert(pair.first, file, column_offset, n.loc, depth + 1, budget));
        n.items.push_back(
            convert(pair.second, file, column_offset, n.keys.back().loc, depth + 1, budget));
      }
      break;
  }
  return n;
}

// A scenario is UTF-8 text. A NUL byte (a binary file, or UTF-16) or a malformed UTF-8 sequence
// is reported where it is, before yaml-cpp sees it. Columns count characters, like yaml-cpp's.
void check_text(const std::string& text, const std::string& file, int column_offset) {
  int line = 1;
  int column = 1 + column_offset;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  for (std::size_t i = 0; i < size;) {
    const unsigned char c = p[i];
    const SourceLoc here{file, line, column};
    if (c == 0) {
      fail(here, "", "NUL byte in the scenario text",
           "a scenario is a YAML text file in UTF-8; this looks like a binary (or UTF-16) file");
    }
    std::size_t len = 1;
    std::uint32_t cp = c;
    if (c >= 0x80) {
      std::uint32_t min = 0;
      if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
      else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
      else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
      else len = 0;
      bool ok = len != 0 && i + len <= size;
      for (std::size_t k = 1; ok && k < len; ++k) {
        ok = (p[i + k] & 0xC0) == 0x80;
        cp = (cp << 6) | (p[i + k] & 0x3F);
      }
      if (!ok || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", c);
        fail(here, "", std::string("invalid UTF-8 (byte ") + hex + ")",
             "a scenario is a YAML text file in UTF-8; re-save it as UTF-8 or remove the byte");
      }
    }
    i += len;
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

// Optimal string alignment distance (Levenshtein plus adjacent transposition), case-insensitive:
// "iopolcy" -> "iopolicy" is 1, "nmua_nodes" -> "numa_nodes" is 1.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// The sections of the format, for "'kato' belongs in hosts[].nvme" hints.
struct Section {
  std::string_view where;
  Names keys;
};
const Section kSections[] = {
    {"the top level", kTopKeys},
    {"hosts[]", kHostKeys},
    {"hosts[].nvme", kNvmeKeys},
    {"subsystems[]", kSubsystemKeys},
    {"subsystems[].cmic", kCmicKeys},
    {"subsystems[].ports[]", kPortKeys},
    {"subsystems[].namespaces[]", kNamespaceKeys},
    {"subsystems[].controller", kControllerKeys},
    {"subsystems[].media", kMediaKeys},
    {"subsystems[].media.jitter", kJitterKeys},
    {"links[]", kLinkKeys},
    {"connect[]", kConnectKeys},
    {"workloads[]", kWorkloadKeys},
    {"faults[]", kFaultKeys},
    {"faults[].match", kMatchKeys},
    {"expect", kExpectKeys},
    {"report", kReportKeys},
    {"limits", kLimitsKeys},
    {"explore", kExploreKeys},
    {"explore.targets", kExploreTargetKeys},
    {"explore.durations", kExploreDurationKeys},
};

std::string last_component(const std::string& path) {
  const std::size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::string expect_scalar(const Node& n, const std::string& key, const char* what) {
  if (n.is_null())
    fail(n.loc, key, "missing value for '" + last_component(key) + "'",
         std::string("expected ") + what);
  if (!n.is_scalar()) fail(n.loc, key, std::string("expected ") + what + ", got " + describe(n));
  return n.text;
}

[[noreturn]] void fail_range(const Node& n, const std::string& key, const std::string& bounds,
                             const std::string& got) {
  fail(n.loc, key, last_component(key) + " must be " + bounds + ", got " + got);
}

std::string int_bounds(std::int64_t lo, std::int64_t hi) {
  if (hi == std::numeric_limits<std::int64_t>::max()) return "at least " + std::to_string(lo);
  return "between " + std::to_string(lo) + " and " + std::to_string(hi);
}

}  // namespace

const Node* Node::find(std::string_view key) const {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].is_scalar() && keys[i].text == key) return &items[i];
  }
  return nullptr;
}

Node* Node::find(std::string_view key) {
  return const_cast<Node*>(static_cast<const Node*>(this)->find(key));
}

void Node::set(Node key, Node value) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].is_scalar() && keys[i].text == key.text) {
      keys[i] = std::move(key);
      items[i] = std::move(value);
      return;
    }
  }
  keys.push_back(std::move(key));
  items.push_back(std::move(value));
}

Node parse_yaml(const std::string& text, const std::string& file, int column_offset) {
  const SourceLoc start{file, 1, 1 + column_offset};
  check_text(text, file, column_offset);
  YAML::Node doc;
  try {
    // How many documents, first: YAML::LoadAll never returns on some malformed input (a ',' where
    // a document starts, yaml-cpp issue #1040) because the parser reports an empty document
    // without moving on, again and again. Two documents are enough to know; one that starts where
    // the previous one did is that bug.
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
      const auto& m = starts.marks;
      if (m.size() == 2 && m[1].pos <= m[0].pos) {
        fail(to_loc(m[1], file, column_offset, start), "",
             "YAML syntax error: unexpected character where a value should start",
             "a ',' outside [ ] or { }, or a value that needs quotes?");
      }
    }
    if (starts.marks.empty()) return Node::make(Node::Kind::Null, start);
    if (starts.marks.size() > 1) {
      fail(to_loc(starts.marks[1], file, column_offset, start), "",
           "a scenario is a single YAML document, found a second one",
           "remove the '---' separator or split the file");
    }
    doc = YAML::Load(text);  // the first document only
  } catch (const YAML::Exception& e) {
    fail(to_loc(e.mark, file, column_offset, start), "", "YAML syntax error: " + e.msg,
         syntax_hint(e.msg));
  }
  Budget budget;
  return convert(doc, file, column_offset, start, 0, budget);
}

std::string describe(const Node& n) {
  switch (n.kind) {
    case Node::Kind::Null:
      return "nothing";
    case Node::Kind::Scalar:
      return "'" + n.text + "'";
    case Node::Kind::Seq:
      return "a list";
    case Node::Kind::Map:
      return "a map";
  }
  return "?";
}

void fail(const SourceLoc& loc, const std::string& key, const std::string& message,
          const std::string& hint) {
  throw InputError(loc, key, message, hint);
}

std::string closest(std::string_view word, Names candidates) {
  // Short words tolerate one slip, longer ones two or three; beyond that a "suggestion" is noise.
  const std::size_t limit = word.size() <= 3 ? 1 : word.size() <= 7 ? 2 : 3;
  std::size_t best = limit + 1;
  std::string found;
  for (std::string_view c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best && d < std::max(word.size(), c.size())) {
      best = d;
      found = std::string(c);
    }
  }
  return found;
}

std::string join(Names names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string join(const std::vector<std::string>& names) {
  std::vector<std::string_view> views(names.begin(), names.end());
  return join(Names(views));
}

std::string value_hint(std::string_view word, Names valid) {
  const std::string close = closest(word, valid);
  if (close.empty()) return "valid: " + join(valid);
  return "did you mean '" + close + "'? (valid: " + join(valid) + ")";
}

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

void fail_unknown_key(const Node& key, const std::string& path, Names allowed) {
  const std::string word = key.text;
  const std::string close = closest(word, allowed);
  std::string hint;
  if (!close.empty()) {
    hint = "did you mean '" + close + "'?";
  } else {
    std::vector<std::string> homes;
    for (const Section& s : kSections) {
      if (s.keys.data() == allowed.data()) continue;
      if (std::find(s.keys.begin(), s.keys.end(), word) != s.keys.end()) {
        homes.emplace_back(s.where);
      }
    }
    if (!homes.empty()) {
      hint = "'" + word + "' belongs in " + homes[0];
      for (std::size_t i = 1; i < homes.size(); ++i) hint += " or " + homes[i];
      hint += "; valid keys here: " + join(allowed);
    } else {
      hint = "valid keys: " + join(allowed);
    }
  }
  fail(key.loc, child_path(path, word), "unknown key '" + word + "'", hint);
}

MapReader::MapReader(const Node& node, std::string path, Names allowed)
    : node_(node), path_(std::move(path)) {
  if (node.is_null()) return;
  if (!node.is_map()) {
    fail(node.loc, path_, "expected a map of keys, got " + describe(node),
         "write 'key: value' lines (or {key: value, ...}); valid keys: " + join(allowed));
  }
  for (std::size_t i = 0; i < node.keys.size(); ++i) {
    const Node& key = node.keys[i];
    if (!key.is_scalar()) {
      fail(key.loc, path_, "a key must be a plain name, got " + describe(key));
    }
    if (std::find(allowed.begin(), allowed.end(), key.text) == allowed.end()) {
      fail_unknown_key(key, path_, allowed);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (node.keys[j].text == key.text) {
        fail(key.loc, child_path(path_, key.text), "duplicate key '" + key.text + "'",
             "first given at line " + std::to_string(node.keys[j].loc.line) + ", column " +
                 std::to_string(node.keys[j].loc.column));
      }
    }
  }
}

const Node& MapReader::require(std::string_view key) const {
  if (const Node* n = find(key)) return *n;
  fail(node_.loc, path(key), "missing required key '" + std::string(key) + "'");
}

std::string read_string(const Node& n, const std::string& key, bool allow_empty) {
  std::string text = expect_scalar(n, key, "a string");
  if (text.empty() && !allow_empty) {
    fail(n.loc, key, last_component(key) + " must not be empty");
  }
  return text;
}

bool read_bool(const Node& n, const std::string& key) {
  const std::string text = expect_scalar(n, key, "true or false");
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  fail(n.loc, key, "expected true or false, got '" + text + "'");
}

std::int64_t read_int(const Node& n, const std::string& key, std::int64_t lo, std::int64_t hi,
                      bool allow_hex) {
  const std::string text = expect_scalar(n, key, "an integer");
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && digits.front() == '-') {
    negative = true;
    digits.remove_prefix(1);
  }
  int base = 10;
  if (allow_hex && digits.size() > 2 && digits[0] == '0' &&
      (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  }
  std::uint64_t magnitude = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, magnitude, base);
  if (digits.empty() || ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    fail(n.loc, key,
         "expected an integer" + std::string(allow_hex ? " (decimal or 0x hex)" : "") + ", got '" +
             text + "'");
  }
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (ec == std::errc::result_out_of_range || magnitude > kMax) {
    fail_range(n, key, int_bounds(lo, hi), text);
  }
  const std::int64_t value =
      negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
  if (value < lo || value > hi) fail_range(n, key, int_bounds(lo, hi), text);
  return value;
}

std::uint64_t read_uint(const Node& n, const std::string& key, std::uint64_t lo, std::uint64_t hi) {
  const std::string text = expect_scalar(n, key, "an integer");
  auto bounds = [&] {
    return "between " + std::to_string(lo) + " and " + std::to_string(hi);
  };
  if (!text.empty() && text.front() == '-' && text.size() > 1 &&
      std::all_of(text.begin() + 1, text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    fail_range(n, key, bounds(), text);
  }
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    fail(n.loc, key, "expected an integer, got '" + text + "'");
  }
  if (ec == std::errc::result_out_of_range || value < lo || value > hi) {
    fail_range(n, key, bounds(), text);
  }
  return value;
}

double read_double(const Node& n, const std::string& key, double lo, double hi, bool open_lo,
                   bool open_hi) {
  const std::string text = expect_scalar(n, key, "a number");
  double value = 0;
  const char* end = text.data() + text.size();
  // General format: dump_yaml prints the shortest exact form, which may be "1e-05".
  auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (text.empty() || ptr != end || ec != std::errc() || !std::isfinite(value)) {
    fail(n.loc, key, "expected a number, got '" + text + "'");
  }
  const bool low_ok = open_lo ? value > lo : value >= lo;
  const bool high_ok = open_hi ? value < hi : value <= hi;
  if (!low_ok || !high_ok) {
    auto num = [](double v) {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      return std::string(buf, r.ptr);
    };
    const std::string bounds = std::string(open_lo ? "greater than " : "at least ") + num(lo) +
                               (open_hi ? " and less than " : " and at most ") + num(hi);
    fail_range(n, key, bounds, text);
  }
  return value;
}

std::optional<Time> read_duration_or_off(const Node& n, const std::string& key,
                                         const DurationRule& rule) {
  const std::string text = expect_scalar(n, key, "a duration such as 5s");
  if (rule.off_word != nullptr && (text == "never" || text == "off")) return std::nullopt;
  bool too_large = false;
  const std::optional<Time> t = parse_duration(text, &too_large);
  const Time max = std::min(rule.max, kMaxTime);
  if ((!t && too_large) || (t && *t > max)) {
    fail(n.loc, key,
         last_component(key) + " must be at most " + format_duration(max) +
             (max == kMaxTime ? " (365 days)" : "") + ", got " + text);
  }
  if (!t) {
    std::string hint =
        "a duration is a number with a unit ns, us, ms, s or m, e.g. 5s, 80us, 1.5ms, in whole "
        "nanoseconds";
    if (rule.off_word != nullptr) hint += ", or '" + std::string(rule.off_word) + "'";
    const bool bare_number = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.';
    });
    if (bare_number) hint = "add a unit, e.g. '" + text + "s' or '" + text + "ms'; " + hint;
    fail(n.loc, key, "invalid duration '" + text + "'", hint);
  }
  const std::string name = last_component(key);
  if (*t < rule.min) {
    fail(n.loc, key,
         name +
             (rule.min == 1 ? " must be greater than 0"
                            : " must be at least " + format_duration(rule.min)) +
             ", got " + text);
  }
  if (*t > rule.max) {
    fail(n.loc, key, name + " must be at most " + format_duration(rule.max) + ", got " + text);
  }
  if (*t % rule.step != 0) {
    fail(n.loc, key,
         name + " must be a multiple of " + format_duration(rule.step) + ", got " + text);
  }
  return t;
}

Time read_duration(const Node& n, const std::string& key, const DurationRule& rule) {
  DurationRule strict = rule;
  strict.off_word = nullptr;
  return *read_duration_or_off(n, key, strict);
}

std::uint64_t read_size(const Node& n, const std::string& key) {
  const std::string text = expect_scalar(n, key, "a size such as 4k");
  bool too_large = false;
  if (auto v = parse_size(text, &too_large)) return *v;
  if (too_large) fail(n.loc, key, "size '" + text + "' does not fit in 64 bits");
  fail(n.loc, key, "invalid size '" + text + "'",
       "a size is a byte count with an optional binary multiplier: 512, 4k or 4KiB, 1m, 1g, 1t");
}

std::uint64_t read_bandwidth(const Node& n, const std::string& key) {
  const std::string text = expect_scalar(n, key, "a bandwidth such as 25Gbps");
  bool too_large = false;
  if (auto v = parse_bandwidth(text, &too_large)) return *v;
  if (too_large) fail(n.loc, key, "bandwidth '" + text + "' does not fit in 64 bits of bytes/s");
  fail(n.loc, key, "invalid bandwidth '" + text + "'",
       "e.g. 25Gbps (bits, decimal), 3GB/s or 100MB/s (bytes, decimal), 3GiB/s (bytes, binary), "
       "or a plain number of bytes per second");
}

std::uint64_t read_count_rate(const Node& n, const std::string& key) {
  const std::string text = expect_scalar(n, key, "a rate such as 200k");
  bool too_large = false;
  if (auto v = parse_count_rate(text, &too_large)) return *v;
  if (too_large) fail(n.loc, key, "rate '" + text + "' does not fit in 64 bits");
  fail(n.loc, key, "invalid rate '" + text + "'",
       "a count per second with an optional decimal multiplier: 1000, 200k, 1.5m");
}

const std::vector<Node>& read_list(const Node& n, const std::string& key, const char* example) {
  static const std::vector<Node> kEmpty;
  if (n.is_null()) return kEmpty;
  if (!n.is_seq()) {
    fail(n.loc, key, last_component(key) + " must be a list, got " + describe(n),
         std::string("write one item per '-' line, e.g. ") + example);
  }
  return n.items;
}

}  // namespace sim::scenario::detail
