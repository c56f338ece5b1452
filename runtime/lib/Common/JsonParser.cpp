//===- JsonParser.cpp - Reading JSON text ---------------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// A recursive-descent parser for RFC 8259 JSON with a nesting limit, so that
// hostile input cannot exhaust the stack. Errors carry line and column.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace attn {
namespace rt {
namespace json {

namespace {
constexpr int kMaxDepth = 256;

class Parser {
public:
  explicit Parser(std::string_view text) : text_(text) {}

  StatusOr<Value> parseDocument() {
    skipSpace();
    Value value;
    ATTN_RT_RETURN_IF_ERROR(parseValue(value, 0));
    skipSpace();
    if (pos_ != text_.size())
      return error("unexpected text after the JSON value");
    return value;
  }

private:
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }

  void skipSpace() {
    while (!atEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                        text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  std::string describeHere() const {
    if (atEnd())
      return "end of input";
    unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c < 0x20 || c >= 0x7f) {
      char buffer[16];
      std::snprintf(buffer, sizeof(buffer), "byte 0x%02x", c);
      return buffer;
    }
    return std::string("'") + static_cast<char>(c) + "'";
  }

  Status error(const std::string &what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return invalidArgument("JSON error at line ", line, ", column ", column,
                           ": ", what);
  }

  Status expected(const std::string &what) const {
    return error("expected " + what + ", found " + describeHere());
  }

  bool consumeWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word)
      return false;
    pos_ += word.size();
    return true;
  }

  Status parseValue(Value &out, int depth) {
    if (depth > kMaxDepth)
      return error("nesting deeper than " + std::to_string(kMaxDepth));
    char c = peek();
    if (c == '{')
      return parseObject(out, depth);
    if (c == '[')
      return parseArray(out, depth);
    if (c == '"') {
      std::string s;
      ATTN_RT_RETURN_IF_ERROR(parseString(s));
      out = Value::string(std::move(s));
      return Status::ok();
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return parseNumber(out);
    if (consumeWord("true")) {
      out = Value::boolean(true);
      return Status::ok();
    }
    if (consumeWord("false")) {
      out = Value::boolean(false);
      return Status::ok();
    }
    if (consumeWord("null")) {
      out = Value();
      return Status::ok();
    }
    return expected("a JSON value");
  }

  Status parseObject(Value &out, int depth) {
    ++pos_; // '{'
    out = Value::object();
    skipSpace();
    if (peek() == '}') {
      ++pos_;
      return Status::ok();
    }
    for (;;) {
      skipSpace();
      if (peek() != '"')
        return expected("a string key in object");
      size_t keyPos = pos_;
      std::string key;
      ATTN_RT_RETURN_IF_ERROR(parseString(key));
      if (out.get(key)) {
        pos_ = keyPos;
        return error("duplicate object key \"" + key + "\"");
      }
      skipSpace();
      if (peek() != ':')
        return expected("':' after object key");
      ++pos_;
      skipSpace();
      Value member;
      ATTN_RT_RETURN_IF_ERROR(parseValue(member, depth + 1));
      out.set(std::move(key), std::move(member));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return Status::ok();
      }
      return expected("',' or '}' after object member");
    }
  }

  Status parseArray(Value &out, int depth) {
    ++pos_; // '['
    out = Value::array();
    skipSpace();
    if (peek() == ']') {
      ++pos_;
      return Status::ok();
    }
    for (;;) {
      skipSpace();
      Value element;
      ATTN_RT_RETURN_IF_ERROR(parseValue(element, depth + 1));
      out.push(std::move(element));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return Status::ok();
      }
      return expected("',' or ']' after array element");
    }
  }

  static void appendUtf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  Status parseHex4(uint32_t &out) {
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = peek();
      uint32_t digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        return expected("4 hex digits after \\u");
      out = out * 16 + digit;
      ++pos_;
    }
    return Status::ok();
  }

  Status parseString(std::string &out) {
    ++pos_; // '"'
    for (;;) {
      if (atEnd())
        return error("unterminated string");
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return Status::ok();
      }
      if (static_cast<unsigned char>(c) < 0x20)
        return error("control character " + describeHere() +
                     " in string (escape it)");
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      char e = peek();
      ++pos_;
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp;
        ATTN_RT_RETURN_IF_ERROR(parseHex4(cp));
        if (cp >= 0xd800 && cp < 0xdc00) {
          if (!consumeWord("\\u"))
            return expected("a low surrogate \\uDC00-\\uDFFF");
          uint32_t low;
          ATTN_RT_RETURN_IF_ERROR(parseHex4(low));
          if (low < 0xdc00 || low >= 0xe000)
            return error("invalid low surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        } else if (cp >= 0xdc00 && cp < 0xe000) {
          return error("unpaired low surrogate in \\u escape");
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        --pos_;
        return expected("an escape character (\"\\/bfnrtu) after '\\'");
      }
    }
  }

  Status parseNumber(Value &out) {
    size_t start = pos_;
    bool isInteger = true;
    if (peek() == '-')
      ++pos_;
    if (peek() == '0') {
      ++pos_;
      if (peek() >= '0' && peek() <= '9')
        return error("leading zeros are not allowed in numbers");
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9')
        ++pos_;
    } else {
      return expected("a digit");
    }
    if (peek() == '.') {
      isInteger = false;
      ++pos_;
      if (!(peek() >= '0' && peek() <= '9'))
        return expected("a digit after '.'");
      while (peek() >= '0' && peek() <= '9')
        ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      isInteger = false;
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (!(peek() >= '0' && peek() <= '9'))
        return expected("a digit in the exponent");
      while (peek() >= '0' && peek() <= '9')
        ++pos_;
    }
    std::string literal(text_.substr(start, pos_ - start));
    if (isInteger) {
      errno = 0;
      long long i = std::strtoll(literal.c_str(), nullptr, 10);
      if (errno != ERANGE) {
        out = Value::integer(static_cast<int64_t>(i));
        return Status::ok();
      }
    }
    errno = 0;
    double d = std::strtod(literal.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(d)) {
      pos_ = start;
      return error("number " + literal + " is out of range");
    }
    out = Value::number(d);
    return Status::ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
};
} // namespace

StatusOr<Value> parse(std::string_view text) {
  return Parser(text).parseDocument();
}

} // namespace json
} // namespace rt
} // namespace attn
