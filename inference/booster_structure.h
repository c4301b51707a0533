// Checks of a serialized booster (UBJSON, as XGBoost 1.7 writes model.ubj)
// made before the bytes reach XGBoost, so that loading untrusted bytes is
// safe. XGBoost 1.7.4 trusts what it reads: a wrong length makes its UBJSON
// reader read past the buffer, and a tree whose child, parent or feature
// index is out of range, or whose nodes form a cycle, makes loading or
// predicting read out of bounds or loop forever. These checks turn all of
// that into a Corruption status. Booster::Load runs them on every load.
//
// What is accepted is a gbtree booster with one output per row (kappa's
// binary classifier) and numerical splits only; dart, gblinear, multi-class,
// multi-target and categorical models are refused with a reason, because
// their extra arrays are not checked here.
//
// Pure functions of their input; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kappa::inference {

// One value of a parsed UBJSON document. It keeps views (`text`, `keys`)
// into the parsed bytes, which must outlive it; their addresses say where a
// value sits in the bytes (tests use that to corrupt one value in place).
struct UbjValue {
  enum class Kind {
    kNull,        // 'Z'
    kBool,        // 'T', 'F'
    kInt,         // 'i', 'U', 'I', 'l', 'L', 'C' (XGBoost reads all as an integer)
    kFloat,       // 'd' (float32)
    kString,      // 'S'
    kArray,       // '[' ... ']' or '[#L<count>' ...: `items`
    kTypedArray,  // '[$<type>#L<count>' raw big-endian elements: `text`
    kObject,      // '{' ... '}': `keys` and `items`
  };

  Kind kind = Kind::kNull;
  bool boolean = false;  // kBool
  int64_t integer = 0;   // kInt
  float number = 0;      // kFloat
  // kString: the characters; kTypedArray: the `count` raw elements; kInt,
  // kFloat: the raw big-endian bytes after the marker.
  std::string_view text;
  char element_type = 0;        // kTypedArray: 'U' (uint8), 'l' (int32), 'L' (int64), 'd' (float32)
  size_t count = 0;             // kTypedArray: number of elements
  std::vector<UbjValue> items;  // kArray: the elements; kObject: the member values
  std::vector<std::string_view> keys;  // kObject: the member names, unique, in byte order

  // The member called `key` of an object; nullptr when absent (or not an object).
  const UbjValue* Find(std::string_view key) const;
  // Element i (< count) of a typed integer array ('U', 'l' or 'L'), sign-extended.
  int64_t IntAt(size_t i) const;
  // Element i (< count) of a typed float array ('d').
  float FloatAt(size_t i) const;
};

// Parses `bytes` as exactly one UBJSON object of the subset XGBoost 1.7
// writes: lengths as 'L' int64, typed arrays of 'U', 'l', 'L' or 'd', at most
// 64 levels deep, unique keys, no trailing bytes. Every length is checked
// against the bytes left. Corruption "malformed UBJSON model at byte N of M:
// <what>" (or "not a UBJSON model") otherwise.
Result<UbjValue> ParseUbjModel(std::string_view bytes);

// ParseUbjModel, then checks that the document is a booster XGBoost 1.7.4
// loads and predicts with safely:
//  - learner.learner_model_param: num_feature in [1, 2^31), num_class 0 or 1,
//    num_target 1 (when present), base_score a finite number;
//  - learner.gradient_booster: name "gbtree" (dart and gblinear refused);
//    gbtree_model_param num_trees equal to the number of trees and of
//    tree_info entries, num_parallel_tree >= 1 dividing num_trees,
//    size_leaf_vector 0; tree_info all 0; trees[i].id == i;
//  - per tree: tree_param num_nodes >= 1, num_feature equal to the learner's,
//    size_leaf_vector 0; every per-node array present, of the type XGBoost
//    writes, with exactly num_nodes entries; categories arrays empty;
//  - per node: children both -1 (leaf) or both in [1, num_nodes) and
//    distinct; every node the child of at most one node, and parents[]
//    agreeing; the root's parent -1 (or 2^31-1, as XGBoost writes it); every
//    node reachable from the root (no cycles), except nodes marked deleted by
//    the pruner, which must be unreferenced leaves and number num_deleted;
//    split_type 0 (numerical); default_left 0 or 1; internal nodes split on a
//    feature < num_feature at a non-NaN threshold; leaf values finite.
// Corruption with a one-line reason naming the place ("tree 3 node 17: right
// child 99 out of range (12 nodes)"). Node statistics (loss_changes,
// sum_hessian, base_weights) are checked for type and length only: XGBoost
// does not use them to predict.
Status CheckBoosterStructure(std::string_view ubj);
// The same checks on a document ParseUbjModel already returned (for callers
// that go on to read it: one parse).
Status CheckBoosterStructure(const UbjValue& doc);

}  // namespace kappa::inference
