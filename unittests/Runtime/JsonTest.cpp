//===- JsonTest.cpp - Tests of the JSON reader and writer -----------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Json.h"

#include "gtest/gtest.h"

using namespace attn::rt;

namespace {

json::Value parseOk(const std::string &text) {
  StatusOr<json::Value> value = json::parse(text);
  EXPECT_TRUE(value.isOk()) << text << ": " << value.status().toString();
  return value.isOk() ? *value : json::Value();
}

std::string parseError(const std::string &text) {
  StatusOr<json::Value> value = json::parse(text);
  EXPECT_FALSE(value.isOk()) << "accepted: " << text;
  if (value.isOk())
    return "";
  EXPECT_EQ(value.status().code(), StatusCode::InvalidArgument);
  return value.status().message();
}

TEST(JsonTest, Scalars) {
  EXPECT_TRUE(parseOk("null").isNull());
  EXPECT_TRUE(parseOk("true").asBool());
  EXPECT_FALSE(parseOk("false").asBool());
  EXPECT_TRUE(parseOk(" false ").isBool());
  EXPECT_EQ(parseOk("\"hi\"").asString(), "hi");
}

TEST(JsonTest, Numbers) {
  json::Value i = parseOk("-42");
  EXPECT_TRUE(i.isInteger());
  EXPECT_EQ(i.asInteger(), -42);
  EXPECT_DOUBLE_EQ(i.asNumber(), -42.0);
  json::Value d = parseOk("0.08838834764831845");
  EXPECT_TRUE(d.isNumber());
  EXPECT_FALSE(d.isInteger());
  EXPECT_DOUBLE_EQ(d.asNumber(), 0.08838834764831845);
  EXPECT_DOUBLE_EQ(parseOk("1e3").asNumber(), 1000.0);
  EXPECT_FALSE(parseOk("1e3").isInteger());
  EXPECT_DOUBLE_EQ(parseOk("-2.5E-1").asNumber(), -0.25);
  EXPECT_EQ(parseOk("0").asInteger(), 0);
  EXPECT_EQ(parseOk("9223372036854775807").asInteger(), INT64_MAX);
  // Too large for int64: kept as a double.
  json::Value big = parseOk("92233720368547758070");
  EXPECT_FALSE(big.isInteger());
  EXPECT_GT(big.asNumber(), 9e19);
}

TEST(JsonTest, ObjectsAndArraysKeepOrder) {
  json::Value v = parseOk(R"({"b": [1, 2, {"c": null}], "a": {}, "e": []})");
  ASSERT_TRUE(v.isObject());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v.keys()[0], "b");
  EXPECT_EQ(v.keys()[1], "a");
  const json::Value *b = v.get("b");
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->isArray());
  ASSERT_EQ(b->size(), 3u);
  EXPECT_EQ(b->elements()[1].asInteger(), 2);
  EXPECT_TRUE(b->elements()[2].get("c")->isNull());
  EXPECT_TRUE(v.get("a")->isObject());
  EXPECT_EQ(v.get("a")->size(), 0u);
  EXPECT_EQ(v.get("missing"), nullptr);
  EXPECT_EQ(b->get("x"), nullptr); // not an object
}

TEST(JsonTest, StringEscapes) {
  EXPECT_EQ(parseOk(R"("a\"b\\c\/d\n\t\r\b\f")").asString(),
            "a\"b\\c/d\n\t\r\b\f");
  EXPECT_EQ(parseOk(R"("\u0041\u00e9\u20ac")").asString(),
            "A\xc3\xa9\xe2\x82\xac");
  // A surrogate pair: U+1F600.
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").asString(), "\xf0\x9f\x98\x80");
  // Raw UTF-8 passes through.
  EXPECT_EQ(parseOk("\"\xc3\xa9\"").asString(), "\xc3\xa9");
}

TEST(JsonTest, ErrorsSayWhereAndWhat) {
  std::string message = parseError("{\"a\": 1,\n \"b\" 2}");
  EXPECT_NE(message.find("line 2, column 6"), std::string::npos) << message;
  EXPECT_NE(message.find("expected ':' after object key"), std::string::npos)
      << message;
}

TEST(JsonTest, RejectsMalformedInput) {
  struct Case {
    const char *text;
    const char *expected;
  } cases[] = {
      {"", "expected a JSON value, found end of input"},
      {"   ", "expected a JSON value"},
      {"[1, 2,]", "expected a JSON value, found ']'"},
      {"{\"a\": 1,}", "expected a string key"},
      {"{\"a\" 1}", "expected ':'"},
      {"{\"a\": 1 \"b\": 2}", "expected ',' or '}'"},
      {"[1 2]", "expected ',' or ']'"},
      {"[1, 2", "expected ',' or ']' after array element, found end of input"},
      {"\"abc", "unterminated string"},
      {"\"a\nb\"", "control character"},
      {"\"\\x\"", "expected an escape character"},
      {"\"\\u12\"", "4 hex digits"},
      {"\"\\udc00\"", "unpaired low surrogate"},
      {"\"\\ud800x\"", "low surrogate"},
      {"01", "leading zeros"},
      {"-", "expected a digit"},
      {"1.", "a digit after '.'"},
      {"1e", "a digit in the exponent"},
      {"1e999", "out of range"},
      {"tru", "expected a JSON value"},
      {"nul", "expected a JSON value"},
      {"{'a': 1}", "expected a string key"},
      {"{\"a\": 1} x", "unexpected text after the JSON value"},
      {"{\"a\": 1, \"a\": 2}", "duplicate object key \"a\""},
      {"// comment\n{}", "expected a JSON value, found '/'"},
      {"NaN", "expected a JSON value"},
  };
  for (const Case &c : cases) {
    std::string message = parseError(c.text);
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << "input: " << c.text << "\nmessage: " << message;
    EXPECT_EQ(message.rfind("JSON error at line ", 0), 0u) << message;
  }
}

TEST(JsonTest, RejectsDeepNesting) {
  std::string deep(1000, '[');
  deep += std::string(1000, ']');
  EXPECT_NE(parseError(deep).find("nesting deeper than"), std::string::npos);
  std::string ok(100, '[');
  ok += std::string(100, ']');
  parseOk(ok);
}

TEST(JsonTest, SerializeRoundTrips) {
  const char *text =
      R"({"name":"llama","heads":32,"scale":0.08838834764831845,)"
      R"("flags":[true,false,null],"nested":{"s":"a\"b\n\u0001"},)"
      R"("two":2.0,"neg":-7})";
  json::Value v = parseOk(text);
  std::string written = json::serialize(v);
  json::Value again = parseOk(written);
  EXPECT_EQ(json::serialize(again), written);
  EXPECT_EQ(again.get("heads")->asInteger(), 32);
  EXPECT_DOUBLE_EQ(again.get("scale")->asNumber(), 0.08838834764831845);
  EXPECT_FALSE(again.get("two")->isInteger());
  EXPECT_EQ(again.get("nested")->get("s")->asString(), "a\"b\n\x01");
  EXPECT_EQ(written.find(' '), std::string::npos);
}

TEST(JsonTest, BuildValues) {
  json::Value object = json::Value::object();
  object.set("a", json::Value::integer(1));
  object.set("b", json::Value::string("x"));
  object.set("a", json::Value::boolean(true));
  json::Value array = json::Value::array();
  array.push(json::Value::number(0.5));
  array.push(json::Value());
  object.set("c", array);
  EXPECT_EQ(json::serialize(object), R"({"a":true,"b":"x","c":[0.5,null]})");
  EXPECT_STREQ(json::kindName(json::Kind::Object), "object");
}

} // namespace
