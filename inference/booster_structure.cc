#include "inference/booster_structure.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

namespace kappa::inference {
namespace {

using Kind = UbjValue::Kind;

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// The big-endian unsigned integer in the `width` bytes at `p`.
uint64_t BigEndian(const char* p, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// `v`, the low `width` bytes of a two's-complement integer, sign-extended.
int64_t SignExtend(uint64_t v, size_t width) {
  const unsigned shift = static_cast<unsigned>(64 - 8 * width);
  return static_cast<int64_t>(v << shift) >> shift;
}

// Bytes of one typed-array element; 0 for the types XGBoost 1.7 cannot read.
size_t TypedWidth(char type) {
  switch (type) {
    case 'U':
      return 1;
    case 'l':
    case 'd':
      return 4;
    case 'L':
      return 8;
    default:
      return 0;
  }
}

// `s` for a one-line message: bytes outside printable ASCII as \xNN, and
// cut after 40 bytes (a corrupt string can be anything).
std::string Printable(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out;
  for (const char c : s.substr(0, kMax)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", c & 0xff);
    }
  }
  if (s.size() > kMax) out += "...";
  return out;
}

// Reads one UBJSON document into UbjValues. XGBoost 1.7.4's own reader
// trusts every length it reads (checked: even the 2-byte prefix "{L" makes it
// read past the buffer), so every length here is checked against the bytes
// left before anything is skipped or sized by it.
class UbjParser {
 public:
  explicit UbjParser(std::string_view bytes) : bytes_(bytes) {}

  Result<UbjValue> Parse() {
    if (bytes_.size() < 2 || bytes_[0] != '{' || bytes_[1] != 'L') {
      return Status::Corruption("not a UBJSON model (expected it to start with '{L')");
    }
    UbjValue root;
    KAPPA_RETURN_IF_ERROR(Value(0, &root));
    if (pos_ != bytes_.size()) return Fail("trailing bytes after the model");
    return root;
  }

 private:
  // Deeper nesting than any model has; bounds XGBoost's recursion (and ours).
  static constexpr int kMaxDepth = 64;

  Status Value(int depth, UbjValue* out) {
    if (depth > kMaxDepth) return Fail("nested too deeply");
    char marker = 0;
    KAPPA_RETURN_IF_ERROR(Next(&marker));
    switch (marker) {
      case '{':
        out->kind = Kind::kObject;
        return Object(depth, out);
      case '[':
        return Array(depth, out);
      case 'Z':
        out->kind = Kind::kNull;
        return Status::Ok();
      case 'T':
      case 'F':
        out->kind = Kind::kBool;
        out->boolean = marker == 'T';
        return Status::Ok();
      case 'U':
        return Integer(1, /*is_signed=*/false, out);
      case 'i':
      case 'C':  // XGBoost reads a char as a (signed) integer
        return Integer(1, /*is_signed=*/true, out);
      case 'I':
        return Integer(2, /*is_signed=*/true, out);
      case 'l':
        return Integer(4, /*is_signed=*/true, out);
      case 'L':
        return Integer(8, /*is_signed=*/true, out);
      case 'd': {
        KAPPA_RETURN_IF_ERROR(Need(4));
        out->kind = Kind::kFloat;
        out->number = std::bit_cast<float>(static_cast<uint32_t>(BigEndian(Here(), 4)));
        out->text = bytes_.substr(pos_, 4);
        pos_ += 4;
        return Status::Ok();
      }
      case 'S': {
        out->kind = Kind::kString;
        return Text(&out->text);
      }
      default:
        --pos_;
        return Fail(fmt::format("unsupported UBJSON marker 0x{:02x}", marker & 0xff));
    }
  }

  Status Integer(size_t width, bool is_signed, UbjValue* out) {
    KAPPA_RETURN_IF_ERROR(Need(width));
    const uint64_t raw = BigEndian(Here(), width);
    out->kind = Kind::kInt;
    out->integer = is_signed ? SignExtend(raw, width) : static_cast<int64_t>(raw);
    out->text = bytes_.substr(pos_, width);
    pos_ += width;
    return Status::Ok();
  }

  // A length-prefixed string (an 'S' value or an object key).
  Status Text(std::string_view* out) {
    uint64_t n = 0;
    KAPPA_RETURN_IF_ERROR(Length(&n));
    KAPPA_RETURN_IF_ERROR(Need(n));
    *out = bytes_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return Status::Ok();
  }

  Status Object(int depth, UbjValue* out) {
    while (true) {
      if (pos_ >= bytes_.size()) return Fail("object not closed");
      if (bytes_[pos_] == '}') {
        ++pos_;
        break;
      }
      std::string_view key;
      KAPPA_RETURN_IF_ERROR(Text(&key));
      out->keys.push_back(key);
      out->items.emplace_back();
      KAPPA_RETURN_IF_ERROR(Value(depth + 1, &out->items.back()));
    }
    // XGBoost keeps the first of two equal keys; refusing them spares every
    // check here from having to agree with that.
    std::vector<std::string_view> sorted = out->keys;
    std::sort(sorted.begin(), sorted.end());
    const auto twice = std::adjacent_find(sorted.begin(), sorted.end());
    if (twice != sorted.end()) return Fail(fmt::format("duplicate key '{}'", Printable(*twice)));
    return Status::Ok();
  }

  Status Array(int depth, UbjValue* out) {
    if (pos_ < bytes_.size() && bytes_[pos_] == '$') {  // typed: $<type>#L<count><raw values>
      ++pos_;
      char type = 0;
      KAPPA_RETURN_IF_ERROR(Next(&type));
      const size_t width = TypedWidth(type);
      if (width == 0) return Fail("unsupported typed-array element type");
      KAPPA_RETURN_IF_ERROR(Expect('#'));
      uint64_t n = 0;
      KAPPA_RETURN_IF_ERROR(Length(&n));
      if (n > Remaining() / width) return Fail("typed array longer than the model");
      out->kind = Kind::kTypedArray;
      out->element_type = type;
      out->count = static_cast<size_t>(n);
      out->text = bytes_.substr(pos_, out->count * width);
      pos_ += out->text.size();
      return Status::Ok();
    }
    out->kind = Kind::kArray;
    if (pos_ < bytes_.size() && bytes_[pos_] == '#') {  // counted: #L<count><values>
      ++pos_;
      uint64_t n = 0;
      KAPPA_RETURN_IF_ERROR(Length(&n));
      // Every value takes at least one byte; this bounds XGBoost's resize(n).
      if (n > Remaining()) return Fail("array longer than the model");
      for (uint64_t i = 0; i < n; ++i) {
        out->items.emplace_back();
        KAPPA_RETURN_IF_ERROR(Value(depth + 1, &out->items.back()));
      }
      return Status::Ok();
    }
    while (true) {  // ']'-terminated
      if (pos_ >= bytes_.size()) return Fail("array not closed");
      if (bytes_[pos_] == ']') {
        ++pos_;
        return Status::Ok();
      }
      out->items.emplace_back();
      KAPPA_RETURN_IF_ERROR(Value(depth + 1, &out->items.back()));
    }
  }

  // A length as XGBoost writes it: 'L' and a big-endian int64, >= 0.
  Status Length(uint64_t* n) {
    KAPPA_RETURN_IF_ERROR(Expect('L'));
    if (Remaining() < 8) return Fail("truncated length");
    const uint64_t v = BigEndian(Here(), 8);
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Fail("negative length");
    }
    pos_ += 8;
    *n = v;
    return Status::Ok();
  }

  Status Expect(char want) {
    char got = 0;
    KAPPA_RETURN_IF_ERROR(Next(&got));
    if (got != want) {
      --pos_;
      return Fail(fmt::format("expected '{}'", want));
    }
    return Status::Ok();
  }

  Status Next(char* c) {
    KAPPA_RETURN_IF_ERROR(Need(1));
    *c = bytes_[pos_++];
    return Status::Ok();
  }

  Status Need(uint64_t n) const { return n > Remaining() ? Fail("truncated") : Status::Ok(); }
  const char* Here() const { return bytes_.data() + pos_; }
  uint64_t Remaining() const { return bytes_.size() - pos_; }

  Status Fail(std::string_view what) const {
    return Status::Corruption(
        fmt::format("malformed UBJSON model at byte {} of {}: {}", pos_, bytes_.size(), what));
  }

  std::string_view bytes_;
  size_t pos_ = 0;
};

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "a boolean";
    case Kind::kInt:
      return "an integer";
    case Kind::kFloat:
      return "a number";
    case Kind::kString:
      return "a string";
    case Kind::kArray:
      return "an array";
    case Kind::kTypedArray:
      return "a typed array";
    case Kind::kObject:
      return "an object";
  }
  return "?";
}

const char* ElementTypeName(char type) {
  switch (type) {
    case 'U':
      return "uint8";
    case 'l':
      return "int32";
    case 'L':
      return "int64";
    case 'd':
      return "float32";
    default:
      return "?";
  }
}

// The member `key` of `object`, which must be of `kind`.
Result<const UbjValue*> Member(const UbjValue& object, std::string_view key, Kind kind,
                               std::string_view where) {
  const UbjValue* value = object.Find(key);
  if (value == nullptr) return Status::Corruption(fmt::format("{}: no '{}'", where, key));
  if (value->kind != kind) {
    return Status::Corruption(fmt::format("{}: '{}' is not {}", where, key, KindName(kind)));
  }
  return value;
}

// XGBoost keeps its parameters as strings ("num_nodes": "12") and parses them
// with istream, which also takes "+12", " 12" or "012". Only plain decimal
// digits are accepted here, whose value every parser agrees on.
Result<int64_t> IntParam(const UbjValue& params, std::string_view key, std::string_view where,
                         int64_t min, int64_t max) {
  auto value = Member(params, key, Kind::kString, where);
  if (!value.ok()) return value.status();
  const std::string_view text = (*value)->text;
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::Corruption(
        fmt::format("{}: {} '{}' is not an integer", where, key, Printable(text)));
  }
  if (n < min || n > max) {
    return Status::Corruption(
        min == max ? fmt::format("{}: {} is {}, expected {}", where, key, n, min)
                   : fmt::format("{}: {} is {}, expected {} to {}", where, key, n, min, max));
  }
  return n;
}

// The typed array `key` of a tree, with `count` elements of one of `types`.
Result<const UbjValue*> TypedArray(const UbjValue& tree, std::string_view key,
                                   std::string_view types, size_t count, std::string_view where) {
  auto value = Member(tree, key, Kind::kTypedArray, where);
  if (!value.ok()) return value;
  const UbjValue& array = **value;
  if (types.find(array.element_type) == std::string_view::npos) {
    return Status::Corruption(fmt::format("{}: '{}' is a typed {} array, expected {}", where, key,
                                          ElementTypeName(array.element_type),
                                          ElementTypeName(types[0])));
  }
  if (array.count != count) {
    return Status::Corruption(
        fmt::format("{}: '{}' has {} entries, num_nodes is {}", where, key, array.count, count));
  }
  return value;
}

// The per-node arrays of one tree, all of num_nodes entries.
struct TreeArrays {
  const UbjValue* left = nullptr;              // int32
  const UbjValue* right = nullptr;             // int32
  const UbjValue* parents = nullptr;           // int32
  const UbjValue* split_indices = nullptr;     // int32 or int64
  const UbjValue* split_conditions = nullptr;  // float32: threshold, or leaf value
  const UbjValue* default_left = nullptr;      // uint8
  const UbjValue* split_type = nullptr;        // uint8: 0 numerical, 1 categorical
};

// XGBoost's RegTree::Node keeps the default direction in bit 31 of the split
// index (read as a uint32); a node whose 32 bits are all set is one the
// pruner deleted.
bool MarkedDeleted(const TreeArrays& a, size_t node) {
  uint32_t sindex = static_cast<uint32_t>(a.split_indices->IntAt(node));
  if (a.default_left->IntAt(node) != 0) sindex |= 1u << 31;
  return sindex == std::numeric_limits<uint32_t>::max();
}

// Children, parents, reachability and split values of one tree (the arrays
// have num_nodes = n entries each).
Status CheckNodes(const std::string& tree, const TreeArrays& a, size_t n, int64_t num_feature,
                  int64_t num_deleted) {
  const int64_t nodes = static_cast<int64_t>(n);
  constexpr int64_t kNone = -1;
  std::vector<int64_t> parent_of(n, kNone);
  for (size_t i = 0; i < n; ++i) {
    const int64_t left = a.left->IntAt(i);
    const int64_t right = a.right->IntAt(i);
    if (left == -1 && right == -1) continue;  // a leaf
    if (left == -1 || right == -1) {
      return Status::Corruption(fmt::format(
          "{} node {}: left child {} but right child {} (a node has both children or neither)",
          tree, i, left, right));
    }
    for (const auto& [side, child] : {std::pair{"left", left}, std::pair{"right", right}}) {
      if (child < 1 || child >= nodes) {
        return Status::Corruption(fmt::format("{} node {}: {} child {} out of range ({} nodes)",
                                              tree, i, side, child, n));
      }
    }
    if (left == right) {
      return Status::Corruption(
          fmt::format("{} node {}: both children are node {}", tree, i, left));
    }
    for (const int64_t child : {left, right}) {
      int64_t& parent = parent_of[static_cast<size_t>(child)];
      if (parent != kNone) {
        return Status::Corruption(
            fmt::format("{} node {}: child of both node {} and node {}", tree, child, parent, i));
      }
      parent = static_cast<int64_t>(i);
    }
  }

  // XGBoost writes the root's parent -1 with its top bit cleared.
  const int64_t root_parent = a.parents->IntAt(0);
  if (root_parent != -1 && root_parent != kInt32Max) {
    return Status::Corruption(fmt::format("{} node 0: the root has parent {}", tree, root_parent));
  }
  int64_t deleted = 0;
  for (size_t i = 1; i < n; ++i) {
    const int64_t parent = a.parents->IntAt(i);
    if (parent_of[i] == kNone) {
      if (!MarkedDeleted(a, i)) {
        return Status::Corruption(fmt::format(
            "{} node {}: no node has it as a child (not reachable from the root)", tree, i));
      }
      // A pruned node: unreachable, but XGBoost still reads its parent.
      if (a.left->IntAt(i) != -1) {
        return Status::Corruption(
            fmt::format("{} node {}: marked deleted but has children", tree, i));
      }
      if (parent < 0 || parent >= nodes) {
        return Status::Corruption(
            fmt::format("{} node {}: parent {} out of range ({} nodes)", tree, i, parent, n));
      }
      ++deleted;
      continue;
    }
    if (MarkedDeleted(a, i)) {
      return Status::Corruption(fmt::format("{} node {}: marked deleted but is a child of node {}",
                                            tree, i, parent_of[i]));
    }
    if (parent != parent_of[i]) {
      return Status::Corruption(
          fmt::format("{} node {}: parents[] says {} but it is a child of node {}", tree, i, parent,
                      parent_of[i]));
    }
  }
  if (deleted != num_deleted) {
    return Status::Corruption(fmt::format("{}: num_deleted is {} but {} nodes are marked deleted",
                                          tree, num_deleted, deleted));
  }

  // Every node has at most one parent and the root none, so a walk from the
  // root meets each node once (a cycle through it would have given some node
  // two parents above, and made prediction loop forever). A node the walk
  // misses, and not deleted, hangs off a detached cycle of parents: climbing
  // parents from it (RegTree::GetDepth) would never reach the root.
  std::vector<bool> reached(n, false);
  std::vector<size_t> stack = {0};
  while (!stack.empty()) {
    const size_t i = stack.back();
    stack.pop_back();
    if (reached[i]) {
      return Status::Corruption(fmt::format("{} node {}: reached twice from the root", tree, i));
    }
    reached[i] = true;
    const int64_t left = a.left->IntAt(i);
    if (left == -1) {
      const float value = a.split_conditions->FloatAt(i);
      if (!std::isfinite(value)) {
        return Status::Corruption(
            fmt::format("{} node {}: leaf value {} is not finite", tree, i, value));
      }
      continue;
    }
    const int64_t feature = a.split_indices->IntAt(i);
    if (feature < 0 || feature >= num_feature) {
      return Status::Corruption(
          fmt::format("{} node {}: split feature {} out of range (num_feature {})", tree, i,
                      feature, num_feature));
    }
    if (std::isnan(a.split_conditions->FloatAt(i))) {
      return Status::Corruption(fmt::format("{} node {}: split condition is NaN", tree, i));
    }
    stack.push_back(static_cast<size_t>(left));
    stack.push_back(static_cast<size_t>(a.right->IntAt(i)));
  }
  for (size_t i = 1; i < n; ++i) {
    if (!reached[i] && !MarkedDeleted(a, i)) {
      return Status::Corruption(fmt::format(
          "{} node {}: not reachable from the root (its parents form a cycle)", tree, i));
    }
  }

  for (size_t i = 0; i < n; ++i) {
    const int64_t split_type = a.split_type->IntAt(i);
    if (split_type != 0) {
      return Status::Corruption(fmt::format(
          "{} node {}: categorical split (split_type {}) is not supported", tree, i, split_type));
    }
    const int64_t default_left = a.default_left->IntAt(i);
    if (default_left != 0 && default_left != 1) {
      return Status::Corruption(
          fmt::format("{} node {}: default_left is {}, expected 0 or 1", tree, i, default_left));
    }
  }
  return Status::Ok();
}

Status CheckTree(size_t index, const UbjValue& tree_json, int64_t num_feature) {
  const std::string tree = fmt::format("tree {}", index);
  if (tree_json.kind != Kind::kObject) {
    return Status::Corruption(fmt::format("{}: not an object", tree));
  }
  // XGBoost puts each tree at the slot its id names; a repeated id would
  // leave a slot empty (a null tree).
  auto id = Member(tree_json, "id", Kind::kInt, tree);
  if (!id.ok()) return id.status();
  if ((*id)->integer != static_cast<int64_t>(index)) {
    return Status::Corruption(
        fmt::format("{}: id is {}, expected {}", tree, (*id)->integer, index));
  }

  auto param = Member(tree_json, "tree_param", Kind::kObject, tree);
  if (!param.ok()) return param.status();
  const std::string where = tree + " tree_param";
  auto num_nodes = IntParam(**param, "num_nodes", where, 1, kInt32Max);
  if (!num_nodes.ok()) return num_nodes.status();
  auto num_deleted = IntParam(**param, "num_deleted", where, 0, kInt32Max);
  if (!num_deleted.ok()) return num_deleted.status();
  auto tree_features = IntParam(**param, "num_feature", where, num_feature, num_feature);
  if (!tree_features.ok()) return tree_features.status();
  auto leaf_vector = IntParam(**param, "size_leaf_vector", where, 0, 0);
  if (!leaf_vector.ok()) return leaf_vector.status();
  const size_t n = static_cast<size_t>(*num_nodes);

  // Types as XGBoost 1.7 writes them; it reads the typed arrays only when
  // loss_changes is one, and then requires every other array to be typed too.
  for (const std::string_view key : {"loss_changes", "sum_hessian", "base_weights"}) {
    KAPPA_RETURN_IF_ERROR(TypedArray(tree_json, key, "d", n, tree).status());
  }
  TreeArrays a;
  const std::pair<const UbjValue**, std::pair<std::string_view, std::string_view>> arrays[] = {
      {&a.left, {"left_children", "l"}},
      {&a.right, {"right_children", "l"}},
      {&a.parents, {"parents", "l"}},
      {&a.split_indices, {"split_indices", "lL"}},
      {&a.split_conditions, {"split_conditions", "d"}},
      {&a.default_left, {"default_left", "U"}},
      {&a.split_type, {"split_type", "U"}},
  };
  for (const auto& [out, spec] : arrays) {
    auto array = TypedArray(tree_json, spec.first, spec.second, n, tree);
    if (!array.ok()) return array.status();
    *out = *array;
  }
  // XGBoost reads these whenever split_type is present; with no categorical
  // split they are empty.
  for (const auto& [key, type] : {std::pair<std::string_view, std::string_view>{"categories", "l"},
                                  {"categories_nodes", "l"},
                                  {"categories_segments", "L"},
                                  {"categories_sizes", "L"}}) {
    auto array = Member(tree_json, key, Kind::kTypedArray, tree);
    if (!array.ok()) return array.status();
    if ((*array)->element_type != type[0] || (*array)->count != 0) {
      return Status::Corruption(fmt::format(
          "{}: '{}' is not an empty typed {} array (categorical splits are not supported)", tree,
          key, ElementTypeName(type[0])));
    }
  }
  return CheckNodes(tree, a, n, num_feature, *num_deleted);
}

Status CheckModel(const UbjValue& doc) {
  auto learner = Member(doc, "learner", Kind::kObject, "model");
  if (!learner.ok()) return learner.status();

  auto mparam = Member(**learner, "learner_model_param", Kind::kObject, "learner");
  if (!mparam.ok()) return mparam.status();
  constexpr std::string_view kParam = "learner_model_param";
  auto num_feature = IntParam(**mparam, "num_feature", kParam, 1, kInt32Max);
  if (!num_feature.ok()) return num_feature.status();
  // One output per row: XGBoost predicts max(num_class, num_target) values
  // per row and indexes them by tree_info.
  auto num_class = IntParam(**mparam, "num_class", kParam, 0, 1);
  if (!num_class.ok()) return num_class.status();
  if ((*mparam)->Find("num_target") != nullptr) {
    KAPPA_RETURN_IF_ERROR(IntParam(**mparam, "num_target", kParam, 1, 1).status());
  }
  auto base_score = Member(**mparam, "base_score", Kind::kString, kParam);
  if (!base_score.ok()) return base_score.status();
  const std::string_view score_text = (*base_score)->text;
  float score = 0;
  const auto [end, ec] =
      std::from_chars(score_text.data(), score_text.data() + score_text.size(), score);
  if (ec != std::errc() || end != score_text.data() + score_text.size() || !std::isfinite(score)) {
    return Status::Corruption(
        fmt::format("{}: base_score '{}' is not a finite number", kParam, Printable(score_text)));
  }

  auto booster = Member(**learner, "gradient_booster", Kind::kObject, "learner");
  if (!booster.ok()) return booster.status();
  auto name = Member(**booster, "name", Kind::kString, "gradient_booster");
  if (!name.ok()) return name.status();
  if ((*name)->text != "gbtree") {
    return Status::Corruption(fmt::format(
        "gradient_booster '{}' is not supported (only gbtree models are checked and loaded)",
        Printable((*name)->text)));
  }
  auto model = Member(**booster, "model", Kind::kObject, "gradient_booster");
  if (!model.ok()) return model.status();
  auto gbparam = Member(**model, "gbtree_model_param", Kind::kObject, "gbtree");
  if (!gbparam.ok()) return gbparam.status();
  constexpr std::string_view kGbParam = "gbtree_model_param";
  auto num_trees = IntParam(**gbparam, "num_trees", kGbParam, 0, kInt32Max);
  if (!num_trees.ok()) return num_trees.status();
  auto parallel = IntParam(**gbparam, "num_parallel_tree", kGbParam, 1, kInt32Max);
  if (!parallel.ok()) return parallel.status();
  KAPPA_RETURN_IF_ERROR(IntParam(**gbparam, "size_leaf_vector", kGbParam, 0, 0).status());
  if (*num_trees % *parallel != 0) {
    return Status::Corruption(
        fmt::format("{}: num_trees {} is not a multiple of num_parallel_tree {}", kGbParam,
                    *num_trees, *parallel));
  }

  auto trees = Member(**model, "trees", Kind::kArray, "gbtree");
  if (!trees.ok()) return trees.status();
  auto tree_info = Member(**model, "tree_info", Kind::kArray, "gbtree");
  if (!tree_info.ok()) return tree_info.status();
  const size_t n_trees = static_cast<size_t>(*num_trees);
  if ((*trees)->items.size() != n_trees) {
    return Status::Corruption(fmt::format("{}: num_trees is {} but there are {} trees", kGbParam,
                                          n_trees, (*trees)->items.size()));
  }
  if ((*tree_info)->items.size() != n_trees) {
    return Status::Corruption(fmt::format("{}: num_trees is {} but tree_info has {} entries",
                                          kGbParam, n_trees, (*tree_info)->items.size()));
  }
  for (size_t t = 0; t < n_trees; ++t) {
    // The output group of tree t; there is one group.
    const UbjValue& group = (*tree_info)->items[t];
    if (group.kind != Kind::kInt || group.integer != 0) {
      return Status::Corruption(
          fmt::format("tree_info[{}] is not 0 (the model has one output group)", t));
    }
  }
  for (size_t t = 0; t < n_trees; ++t) {
    KAPPA_RETURN_IF_ERROR(CheckTree(t, (*trees)->items[t], *num_feature));
  }
  return Status::Ok();
}

}  // namespace

const UbjValue* UbjValue::Find(std::string_view key) const {
  if (kind != Kind::kObject) return nullptr;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &items[i];
  }
  return nullptr;
}

int64_t UbjValue::IntAt(size_t i) const {
  const size_t width = TypedWidth(element_type);
  const uint64_t raw = BigEndian(text.data() + i * width, width);
  return element_type == 'U' ? static_cast<int64_t>(raw) : SignExtend(raw, width);
}

float UbjValue::FloatAt(size_t i) const {
  return std::bit_cast<float>(static_cast<uint32_t>(BigEndian(text.data() + i * 4, 4)));
}

Result<UbjValue> ParseUbjModel(std::string_view bytes) { return UbjParser(bytes).Parse(); }

Status CheckBoosterStructure(std::string_view ubj) {
  Result<UbjValue> doc = ParseUbjModel(ubj);
  if (!doc.ok()) return doc.status();
  return CheckModel(*doc);
}

Status CheckBoosterStructure(const UbjValue& doc) { return CheckModel(doc); }

}  // namespace kappa::inference
