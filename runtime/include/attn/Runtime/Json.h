//===- Json.h - A small JSON reader and writer ------------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Enough JSON for kernel manifests: objects, arrays, strings (with \u
// escapes, emitted as UTF-8), numbers, true, false and null. The parser is
// strict (RFC 8259): no comments, no trailing commas, no leading zeros, no
// duplicate object keys, no trailing text. Objects keep their key order.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_JSON_H
#define ATTN_RUNTIME_JSON_H

#include "attn/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attn {
namespace rt {
namespace json {

enum class Kind { Null, Bool, Number, String, Array, Object };

/// "null", "boolean", "number", "string", "array", "object".
const char *kindName(Kind kind);

class Value {
public:
  /// A null value.
  Value() = default;

  static Value boolean(bool b);
  static Value number(double d);
  static Value integer(int64_t i);
  static Value string(std::string s);
  static Value array(std::vector<Value> elements = {});
  static Value object();

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isBool() const { return kind_ == Kind::Bool; }
  bool isNumber() const { return kind_ == Kind::Number; }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }
  /// A number written without fraction or exponent that fits in int64_t.
  bool isInteger() const { return kind_ == Kind::Number && isInteger_; }

  /// Accessors return a neutral value (false, 0, "") on a kind mismatch.
  bool asBool() const { return kind_ == Kind::Bool && bool_; }
  double asNumber() const { return kind_ == Kind::Number ? number_ : 0.0; }
  int64_t asInteger() const { return isInteger() ? integer_ : 0; }
  const std::string &asString() const { return string_; }

  /// Arrays: elements. Objects: the values, in key order.
  const std::vector<Value> &elements() const { return elements_; }
  /// Objects: the keys, parallel to elements().
  const std::vector<std::string> &keys() const { return keys_; }
  size_t size() const { return elements_.size(); }

  /// Object lookup; null when absent or when this is not an object.
  const Value *get(std::string_view key) const;

  /// Appends to an array.
  void push(Value element);
  /// Sets a key of an object (replacing an existing one).
  void set(std::string key, Value value);

private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  bool isInteger_ = false;
  double number_ = 0.0;
  int64_t integer_ = 0;
  std::string string_;
  std::vector<std::string> keys_;
  std::vector<Value> elements_;
};

/// Parses a complete JSON text. Errors say where (line and column) and what
/// was expected: "JSON error at line 3, column 7: expected ',' or '}' after
/// object member, found 'x'".
StatusOr<Value> parse(std::string_view text);

/// Compact JSON text (no spaces); parse(serialize(v)) equals v.
std::string serialize(const Value &value);

} // namespace json
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_JSON_H
