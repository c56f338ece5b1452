//===- StatusTest.cpp - Tests of Status and StatusOr ----------------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Status.h"

#include "gtest/gtest.h"

#include <memory>

using namespace attn::rt;

namespace {

TEST(StatusTest, DefaultIsOk) {
  Status status;
  EXPECT_TRUE(status.isOk());
  EXPECT_TRUE(static_cast<bool>(status));
  EXPECT_EQ(status.code(), StatusCode::Ok);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.toString(), "Ok");
  EXPECT_TRUE(Status::ok().isOk());
}

TEST(StatusTest, FactoriesStreamTheirArguments) {
  Status status = invalidArgument("q has ", 3, " dims [", 5, ", ", 4, "]");
  EXPECT_FALSE(status.isOk());
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  EXPECT_EQ(status.message(), "q has 3 dims [5, 4]");
  EXPECT_EQ(status.toString(), "InvalidArgument: q has 3 dims [5, 4]");
  EXPECT_EQ(notFound("x").code(), StatusCode::NotFound);
  EXPECT_EQ(unavailable("x").code(), StatusCode::Unavailable);
  EXPECT_EQ(outOfMemory("x").code(), StatusCode::OutOfMemory);
  EXPECT_EQ(failedPrecondition("x").code(), StatusCode::FailedPrecondition);
  EXPECT_EQ(internalError("x").code(), StatusCode::Internal);
}

TEST(StatusTest, CodeNamesAndValuesAreStable) {
  EXPECT_STREQ(statusCodeName(StatusCode::Ok), "Ok");
  EXPECT_STREQ(statusCodeName(StatusCode::InvalidArgument), "InvalidArgument");
  EXPECT_STREQ(statusCodeName(StatusCode::NotFound), "NotFound");
  EXPECT_STREQ(statusCodeName(StatusCode::Unavailable), "Unavailable");
  EXPECT_STREQ(statusCodeName(StatusCode::OutOfMemory), "OutOfMemory");
  EXPECT_STREQ(statusCodeName(StatusCode::FailedPrecondition),
               "FailedPrecondition");
  EXPECT_STREQ(statusCodeName(StatusCode::Internal), "Internal");
  EXPECT_STREQ(statusCodeName(static_cast<StatusCode>(99)), "Unknown");
  EXPECT_EQ(static_cast<int>(StatusCode::InvalidArgument), 1);
  EXPECT_EQ(static_cast<int>(StatusCode::Internal), 6);
}

TEST(StatusOrTest, HoldsAValue) {
  StatusOr<int> value = 42;
  ASSERT_TRUE(value.isOk());
  EXPECT_EQ(*value, 42);
  EXPECT_EQ(value.value(), 42);
  EXPECT_TRUE(value.status().isOk());
}

TEST(StatusOrTest, HoldsAnError) {
  StatusOr<int> value = notFound("no kernel 'x'");
  EXPECT_FALSE(value.isOk());
  EXPECT_EQ(value.status().code(), StatusCode::NotFound);
  EXPECT_EQ(value.status().message(), "no kernel 'x'");
}

TEST(StatusOrTest, OkStatusWithoutValueBecomesInternal) {
  StatusOr<int> value = Status::ok();
  EXPECT_FALSE(value.isOk());
  EXPECT_EQ(value.status().code(), StatusCode::Internal);
}

TEST(StatusOrTest, MoveOnlyValues) {
  StatusOr<std::unique_ptr<int>> value = std::make_unique<int>(7);
  ASSERT_TRUE(value.isOk());
  EXPECT_EQ(**value, 7);
  std::unique_ptr<int> taken = std::move(value).value();
  EXPECT_EQ(*taken, 7);
}

TEST(StatusOrTest, ArrowAccessor) {
  StatusOr<std::string> value = std::string("abc");
  EXPECT_EQ(value->size(), 3u);
}

TEST(StatusOrDeathTest, ValueOfErrorAborts) {
  StatusOr<int> value = internalError("broken");
  EXPECT_DEATH((void)value.value(), "broken");
}

Status failsWhenNegative(int x) {
  if (x < 0)
    return invalidArgument("negative: ", x);
  return Status::ok();
}

StatusOr<int> doubled(int x) {
  ATTN_RT_RETURN_IF_ERROR(failsWhenNegative(x));
  return 2 * x;
}

StatusOr<int> quadrupled(int x) {
  ATTN_RT_ASSIGN_OR_RETURN(int twice, doubled(x));
  return 2 * twice;
}

TEST(StatusMacrosTest, PropagateErrorsAndValues) {
  StatusOr<int> good = quadrupled(3);
  ASSERT_TRUE(good.isOk());
  EXPECT_EQ(*good, 12);
  StatusOr<int> bad = quadrupled(-1);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(), "negative: -1");
}

} // namespace
