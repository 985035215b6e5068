// The daemon's state directory (control/state_store.h) and the one JSON
// form of a console definition (control/console_json.h): files written by
// earlier releases load unchanged, what is saved loads back, a PUT body is
// checked with the messages the API returns, and an unwritable directory
// is reported (the control API then fails closed).
#include "control/state_store.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include "control/console_json.h"
#include "control/json_fields.h"

namespace vncgate {
namespace {

class TempDir {
 public:
  TempDir() {
    g_autofree gchar *made = g_dir_make_tmp("vncgate-state-XXXXXX", nullptr);
    path_ = made;
  }
  ~TempDir() {
    for (const char *f : {"tokens.json", "consoles.json", "vterms.json", "file"})
      g_remove((path_ + "/" + f).c_str());
    g_rmdir(path_.c_str());
  }
  const std::string &path() const { return path_; }
  void write(const char *name, const std::string &text) const {
    ASSERT_TRUE(g_file_set_contents((path_ + "/" + name).c_str(), text.data(),
                                    static_cast<gssize>(text.size()), nullptr));
  }

 private:
  std::string path_;
};

// consoles.json exactly as vncgate 0.1 wrote it (json-glib, pretty).
constexpr const char *kConsolesV01 = R"([
  {
    "name" : "rt1",
    "lpar_id" : 3,
    "force" : true,
    "allowed_users" : [
      "alice",
      "bob"
    ]
  },
  {
    "name" : "rt2",
    "backend" : "[::1]:5902",
    "force" : false,
    "allowed_users" : [
    ]
  }
])";

std::optional<ConsoleConfig> from_body(const char *body, std::string &error) {
  g_autoptr(JsonNode) root = parse_json(body, strlen(body), error);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return std::nullopt;
  return console_from_json(json_node_get_object(root), "c1", error);
}

TEST(StateStore, LoadsTheConsolesFileOfEarlierReleases) {
  TempDir dir;
  dir.write("consoles.json", kConsolesV01);
  StateStore state;
  state.set_dir(dir.path());
  state.load();
  const auto &consoles = state.runtime_consoles();
  ASSERT_EQ(consoles.size(), 2u);
  const ConsoleConfig &rt1 = consoles.at("rt1");
  EXPECT_EQ(rt1.lpar_id, 3);
  EXPECT_FALSE(rt1.backend);
  EXPECT_TRUE(rt1.force);
  EXPECT_EQ(rt1.allowed_users, (std::vector<std::string>{"alice", "bob"}));
  const ConsoleConfig &rt2 = consoles.at("rt2");
  ASSERT_TRUE(rt2.backend);
  EXPECT_EQ(rt2.backend->to_string(), "[::1]:5902");
  EXPECT_FALSE(rt2.lpar_id);
}

TEST(StateStore, SavedConsolesLoadBackInANewStore) {
  TempDir dir;
  dir.write("consoles.json", kConsolesV01);
  StateStore first;
  first.set_dir(dir.path());
  first.load();
  ConsoleConfig added;
  added.name = "rt3";
  added.backend = HostPort{"backend.example", 5901};
  bool replaced = true;
  ASSERT_TRUE(first.put_runtime_console(added, replaced));
  EXPECT_FALSE(replaced);
  ASSERT_TRUE(first.erase_runtime_console("rt1"));
  EXPECT_FALSE(first.erase_runtime_console("rt1"));

  StateStore second;
  second.set_dir(dir.path());
  second.load();
  EXPECT_EQ(second.runtime_consoles(), first.runtime_consoles());
  EXPECT_EQ(second.runtime_consoles().count("rt1"), 0u);
}

TEST(StateStore, BrokenEntriesAreSkippedAndTheRestKept) {
  TempDir dir;
  dir.write("consoles.json", R"([{"name": "ok", "lpar_id": 1},
    {"name": "both", "lpar_id": 1, "backend": "127.0.0.1:1"},
    {"name": "bad name!", "lpar_id": 2},
    {"name": "users", "lpar_id": 3, "allowed_users": [1]},
    "not an object"])");
  StateStore state;
  state.set_dir(dir.path());
  state.load();
  ASSERT_EQ(state.runtime_consoles().size(), 1u);
  EXPECT_EQ(state.runtime_consoles().count("ok"), 1u);
}

TEST(StateStore, TokensAndVtermsSurviveARestart) {
  TempDir dir;
  StateStore first;
  first.set_dir(dir.path());
  auto minted = first.tokens().mint("rt1", "alice", 300, true, 1000);
  ASSERT_TRUE(first.save_tokens(1000));
  first.save_vterms({{"rt1", 3}, {"rt2", 7}});

  StateStore second;
  second.set_dir(dir.path());
  second.load();
  TokenRecord record;
  EXPECT_EQ(second.tokens().use(minted.secret, "rt1", 1001, record), TokenCheck::Ok);
  EXPECT_EQ(record.user, "alice");
  EXPECT_EQ(second.load_vterms(), (std::vector<OpenedVterm>{{"rt1", 3}, {"rt2", 7}}));
}

TEST(StateStore, AnUnwritableDirectoryIsReported) {
  TempDir dir;
  dir.write("file", "a file where the state directory should be");
  StateStore state;
  state.set_dir(dir.path() + "/file/state");
  state.tokens().mint("rt1", "", 300, true, 1000);
  EXPECT_FALSE(state.save_tokens(1000));
  StateStore memory_only;  // no directory: nothing to fail
  EXPECT_TRUE(memory_only.save_tokens(1000));
}

TEST(ConsoleJson, PutBodiesAreCheckedWithTheApiMessages) {
  std::string error;
  auto lpar = from_body(R"({"lpar_id": 5, "allowed_users": ["alice"], "force": true})", error);
  ASSERT_TRUE(lpar) << error;
  EXPECT_EQ(lpar->name, "c1");
  EXPECT_EQ(lpar->lpar_id, 5);
  EXPECT_TRUE(lpar->force);
  auto backend = from_body(R"({"backend": "10.0.0.1:5900"})", error);
  ASSERT_TRUE(backend) << error;
  EXPECT_EQ(backend->backend, (HostPort{"10.0.0.1", 5900}));

  struct Case {
    const char *body, *error;
  };
  for (const Case &c : {
           Case{R"({})", "give exactly one of 'lpar_id' and 'backend'"},
           Case{R"({"lpar_id": 1, "backend": "h:1"})",
                "give exactly one of 'lpar_id' and 'backend'"},
           Case{R"({"lpar_id": "1"})", "'lpar_id' must be an integer"},
           Case{R"({"lpar_id": 4294967296})", "'lpar_id' out of range"},
           Case{R"({"backend": 1})", "'backend' must be a string"},
           Case{R"({"lpar_id": 1, "force": "yes"})", "'force' must be true or false"},
           Case{R"({"lpar_id": 1, "allowed_users": "alice"})",
                "'allowed_users' must be an array of strings"},
           Case{R"({"lpar_id": 1, "allowed_users": ["a", 2]})",
                "'allowed_users' must be an array of strings"},
       }) {
    error.clear();
    EXPECT_FALSE(from_body(c.body, error)) << c.body;
    EXPECT_EQ(error, c.error) << c.body;
  }
  error.clear();
  EXPECT_FALSE(from_body(R"({"backend": "no-port"})", error));
  EXPECT_TRUE(error.starts_with("'backend': ")) << error;
}

TEST(ConsoleJson, WhatIsWrittenReadsBackTheSame) {
  ConsoleConfig c;
  c.name = "c1";
  c.backend = HostPort{"::1", 5901};
  c.allowed_users = {"alice", "bob@REALM"};
  g_autoptr(JsonBuilder) b = json_builder_new();
  console_to_json(b, c);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  std::string error;
  auto back = console_from_json(json_node_get_object(root), "c1", error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(*back, c);
}

}  // namespace
}  // namespace vncgate
