// SampleTable: column declaration, row typing rules and errors.
#include <gtest/gtest.h>

#include "core/results/run_record.h"

namespace wq {
namespace {

TEST(SampleTable, ColumnsFromFirstRowAreTypedByTheirCells) {
  SampleTable table;
  table.add_row({{"id", int64_t{7}}, {"score", 0.5}, {"task", std::string("counting")}});
  table.add_row({{"id", int64_t{8}}, {"score", int64_t{1}}, {"task", std::string("order")}});
  ASSERT_EQ(table.rows(), 2u);
  EXPECT_EQ(table.names(), (std::vector<std::string>{"id", "score", "task"}));
  EXPECT_EQ(std::get<std::vector<int64_t>>(table.column("id")), (std::vector<int64_t>{7, 8}));
  // The int64 cell went into the float column, widened.
  EXPECT_EQ(std::get<std::vector<double>>(table.column("score")), (std::vector<double>{0.5, 1.0}));
  EXPECT_EQ(std::get<std::vector<std::string>>(table.column("task")),
            (std::vector<std::string>{"counting", "order"}));
}

TEST(SampleTable, DeclaredOrderIsKeptAndDeclaredTypesWin) {
  SampleTable table;
  table.add_string_column("z_text");
  table.add_float_column("a_value");
  table.add_row({{"a_value", int64_t{3}}, {"z_text", std::string("x")}});
  EXPECT_EQ(table.names(), (std::vector<std::string>{"z_text", "a_value"}));
  EXPECT_EQ(std::get<std::vector<double>>(table.column("a_value")), (std::vector<double>{3.0}));
}

TEST(SampleTable, BadRowsThrowAndLeaveTheTableUnchanged) {
  SampleTable table;
  table.add_row({{"id", int64_t{1}}, {"text", std::string("a")}});
  EXPECT_THROW(table.add_row({{"id", int64_t{2}}}), std::invalid_argument);  // missing column
  EXPECT_THROW(table.add_row({{"id", int64_t{2}}, {"text", std::string("b")}, {"extra", 1.0}}),
               std::invalid_argument);  // unknown column
  EXPECT_THROW(table.add_row({{"id", 2.5}, {"text", std::string("b")}}),
               std::invalid_argument);  // float into int column
  EXPECT_THROW(table.add_row({{"id", int64_t{2}}, {"text", 1.0}}), std::invalid_argument);
  EXPECT_EQ(table.rows(), 1u);
  EXPECT_EQ(std::get<std::vector<int64_t>>(table.column("id")).size(), 1u);
  EXPECT_EQ(std::get<std::vector<std::string>>(table.column("text")).size(), 1u);
  EXPECT_THROW(table.add_int_column("late"), std::invalid_argument);
  EXPECT_THROW(table.column("absent"), std::out_of_range);
}

TEST(SampleTable, AddColumnChecksLength) {
  SampleTable table;
  table.add_column("a", std::vector<int64_t>{1, 2, 3});
  EXPECT_THROW(table.add_column("b", std::vector<double>{1.0}), std::invalid_argument);
  table.add_column("b", std::vector<std::string>{"x", "y", "z"});
  EXPECT_EQ(table.rows(), 3u);
  EXPECT_THROW(table.add_column("a", std::vector<int64_t>{1, 2, 3}), std::invalid_argument);
}

TEST(RunStatus, NamesRoundTrip) {
  for (RunStatus status : {RunStatus::Running, RunStatus::Complete, RunStatus::Failed, RunStatus::Skipped,
                           RunStatus::Partial}) {
    EXPECT_EQ(parse_run_status(run_status_name(status)), status);
  }
  EXPECT_STREQ(run_status_name(RunStatus::Complete), "complete");
  EXPECT_STREQ(run_status_name(RunStatus::Partial), "partial");
  EXPECT_THROW(parse_run_status("done"), std::invalid_argument);
}

}  // namespace
}  // namespace wq
