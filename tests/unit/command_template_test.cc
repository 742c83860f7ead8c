#include "core/command_template.h"

#include <gtest/gtest.h>

#include <string>

namespace rota {
namespace {

TemplateVars Render() {
  TemplateVars vars;
  vars.job = "shot-010";
  vars.task = "render";
  vars.frames = "13-16";
  vars.frame_start = 13;
  vars.frame_end = 16;
  vars.chunk_index = 3;
  return vars;
}

TemplateVars NoFrames() {
  TemplateVars vars;
  vars.job = "shot-010";
  vars.task = "fetch";
  return vars;
}

struct Case {
  const char* command;
  const char* expanded;
};

TEST(CommandTemplateTest, ReplacesEveryKnownPlaceholder) {
  const Case cases[] = {
      {"render --frames {frames}", "render --frames 13-16"},
      {"r -s {frame_start} -e {frame_end}", "r -s 13 -e 16"},
      {"{job}/{task}.{chunk_index}.exr", "shot-010/render.3.exr"},
      {"{frames}{frames}", "13-1613-16"},
      {"{task}", "render"},
      {"no placeholders", "no placeholders"},
      {"", ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ExpandCommand(c.command, Render()), c.expanded) << c.command;
  }
}

TEST(CommandTemplateTest, LeavesOtherBracesAlone) {
  const Case cases[] = {
      {"awk '{print $1}' {frames}", "awk '{print $1}' 13-16"},
      {"find . -name x -exec rm {} \\;", "find . -name x -exec rm {} \\;"},
      {"echo ${HOME} {JOB} { job } {job", "echo ${HOME} {JOB} { job } {job"},
      {"{{frames}}", "{13-16}"},
      {"{{}", "{{}"},
      {"}{", "}{"},
      {"{", "{"},
      {"{frames_x} {framesy}", "{frames_x} {framesy}"},
      {"{a_name_longer_than_any_placeholder}", "{a_name_longer_than_any_placeholder}"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ExpandCommand(c.command, Render()), c.expanded) << c.command;
  }
}

TEST(CommandTemplateTest, DoesNotRescanWhatItInserted) {
  TemplateVars vars = Render();
  vars.task = "{job}";
  EXPECT_EQ(ExpandCommand("{task}", vars), "{job}");
}

TEST(CommandTemplateTest, FramePlaceholdersAreEmptyForATaskWithoutFrames) {
  EXPECT_EQ(
      ExpandCommand("x --frames={frames} {frame_start}-{frame_end} #{chunk_index}", NoFrames()),
      "x --frames= - #0");
}

TEST(CommandTemplateTest, PrintsNegativeFrames) {
  TemplateVars vars = Render();
  vars.frames = "-5--1";
  vars.frame_start = -5;
  vars.frame_end = -1;
  EXPECT_EQ(ExpandCommand("{frames} {frame_start} {frame_end}", vars), "-5--1 -5 -1");
}

}  // namespace
}  // namespace rota
