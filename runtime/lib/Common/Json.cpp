//===- Json.cpp - JSON values and writing ---------------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Json.h"

#include <cmath>
#include <cstdio>

namespace attn {
namespace rt {
namespace json {

const char *kindName(Kind kind) {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "boolean";
  case Kind::Number:
    return "number";
  case Kind::String:
    return "string";
  case Kind::Array:
    return "array";
  case Kind::Object:
    return "object";
  }
  return "unknown";
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  return v;
}

Value Value::number(double d) {
  Value v;
  v.kind_ = Kind::Number;
  v.number_ = d;
  return v;
}

Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = Kind::Number;
  v.number_ = static_cast<double>(i);
  v.integer_ = i;
  v.isInteger_ = true;
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::String;
  v.string_ = std::move(s);
  return v;
}

Value Value::array(std::vector<Value> elements) {
  Value v;
  v.kind_ = Kind::Array;
  v.elements_ = std::move(elements);
  return v;
}

Value Value::object() {
  Value v;
  v.kind_ = Kind::Object;
  return v;
}

const Value *Value::get(std::string_view key) const {
  if (kind_ != Kind::Object)
    return nullptr;
  for (size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] == key)
      return &elements_[i];
  return nullptr;
}

void Value::push(Value element) {
  if (kind_ == Kind::Array)
    elements_.push_back(std::move(element));
}

void Value::set(std::string key, Value value) {
  if (kind_ != Kind::Object)
    return;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) {
      elements_[i] = std::move(value);
      return;
    }
  }
  keys_.push_back(std::move(key));
  elements_.push_back(std::move(value));
}

namespace {
void serializeString(const std::string &s, std::string &out) {
  out += '"';
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof(buffer), "\\u%04x",
                      static_cast<unsigned>(c));
        out += buffer;
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

void serializeInto(const Value &value, std::string &out) {
  switch (value.kind()) {
  case Kind::Null:
    out += "null";
    return;
  case Kind::Bool:
    out += value.asBool() ? "true" : "false";
    return;
  case Kind::Number: {
    if (value.isInteger()) {
      out += std::to_string(value.asInteger());
      return;
    }
    double d = value.asNumber();
    if (!std::isfinite(d)) {
      out += "null"; // JSON has no NaN or infinity.
      return;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.17g", d);
    std::string text = buffer;
    // Keep the value a non-integer on re-parse: 2.0 prints as "2" with %g.
    if (text.find_first_of(".eEn") == std::string::npos)
      text += ".0";
    out += text;
    return;
  }
  case Kind::String:
    serializeString(value.asString(), out);
    return;
  case Kind::Array: {
    out += '[';
    for (size_t i = 0; i < value.size(); ++i) {
      if (i)
        out += ',';
      serializeInto(value.elements()[i], out);
    }
    out += ']';
    return;
  }
  case Kind::Object: {
    out += '{';
    for (size_t i = 0; i < value.size(); ++i) {
      if (i)
        out += ',';
      serializeString(value.keys()[i], out);
      out += ':';
      serializeInto(value.elements()[i], out);
    }
    out += '}';
    return;
  }
  }
}
} // namespace

std::string serialize(const Value &value) {
  std::string out;
  serializeInto(value, out);
  return out;
}

} // namespace json
} // namespace rt
} // namespace attn
