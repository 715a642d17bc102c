/* SPDX-License-Identifier: MIT */
/* dnf's metadata and configuration parsers: rpm-md XML fed whole and byte by byte,
 * advisories with their packages, refused documents; .repo and dnf.conf sections. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "repo-xml.h"
#include "yum-repo.h"

typedef struct Seen {
        char text[4096];
} Seen;

static int collect(const RepoXmlRecord *r, void *userdata) {
        Seen *s = userdata;
        size_t l = strlen(s->text);
        for (size_t i = 0; i < r->n_obsoletes; i++, l = strlen(s->text)) {
                const RepoXmlDep *d = &r->obsoletes[i];
                snprintf(s->text + l, sizeof(s->text) - l, "obsoletes %s %s %s:%s-%s\n", d->name, d->flags ? d->flags : "-",
                         d->epoch ? d->epoch : "-", d->version ? d->version : "-", d->release ? d->release : "-");
        }
        snprintf(s->text + l, sizeof(s->text) - l, "%s|%s|%s|%s|%s:%s-%s.%s\n", r->type ? r->type : "-",
                 r->href ? r->href : "-", r->id ? r->id : "-", r->severity ? r->severity : "-",
                 r->epoch ? r->epoch : "-", r->name ? r->name : "-", r->version ? r->version : "-",
                 r->arch ? r->arch : "-");
        return 0;
}

static const char primary[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n"
        "<package type=\"rpm\"><name>foo</name><arch>x86_64</arch><version epoch=\"1\" ver=\"2.0\" rel=\"3.fc43\"/>\n"
        "<format><rpm:provides><rpm:entry name=\"bar\" flags=\"EQ\" epoch=\"0\" ver=\"9\" rel=\"9\"/></rpm:provides>"
        "<rpm:obsoletes><rpm:entry name=\"foo-old\" flags=\"LT\" epoch=\"0\" ver=\"2\"/><rpm:entry name=\"any\"/>"
        "<rpm:entry flags=\"EQ\"/></rpm:obsoletes></format></package>\n"
        "<package type=\"rpm\"><name> bar </name><arch>noarch</arch><version epoch=\"0\" ver=\"1.0~rc1\" rel=\"1\"/></package>\n"
        "</metadata>\n";

static void test_primary_whole_and_streamed(void **state) {
        Seen whole = {}, bytes = {};
        _cleanup_(repo_xml_freep) RepoXml *x = NULL;
        (void) state;

        assert_int_equal(repo_xml_parse(REPO_XML_PRIMARY, primary, strlen(primary), collect, &whole, NULL), 0);
        /* Provides are not obsoletes; an entry without a name is dropped. */
        assert_string_equal(whole.text, "obsoletes foo-old LT 0:2--\nobsoletes any - -:---\n"
                                        "-|-|-|-|1:foo-2.0.x86_64\n-|-|-|-|0:bar-1.0~rc1.noarch\n");
        assert_int_equal(repo_xml_new(REPO_XML_PRIMARY, collect, &bytes, &x, NULL), 0);
        for (size_t i = 0; i < strlen(primary); i++)
                assert_int_equal(repo_xml_feed(x, primary + i, 1, false, NULL), 0);
        assert_int_equal(repo_xml_feed(x, NULL, 0, true, NULL), 0);
        assert_string_equal(bytes.text, whole.text);
}

static void test_repomd_and_updateinfo(void **state) {
        static const char repomd[] =
                "<repomd><revision>1</revision><data type=\"primary\"><location href=\"repodata/a-primary.xml.zst\"/>"
                "</data><data type=\"updateinfo\"><location href=\"repodata/b-updateinfo.xml.xz\"/></data></repomd>";
        static const char ui[] =
                "<updates><update type=\"security\"><id>FEDORA-1</id><title>t</title>"
                "<references><reference id=\"CVE-1\" type=\"cve\"/></references>"
                "<pkglist><collection><name>c</name><package name=\"foo\" epoch=\"0\" version=\"1.1\" release=\"1\" "
                "arch=\"noarch\"/></collection></pkglist><severity>Critical</severity></update>"
                "<update type=\"bugfix\"><id>FEDORA-2</id><pkglist><collection><package name=\"bar\" version=\"2\" "
                "release=\"1\" arch=\"x86_64\"/></collection></pkglist></update></updates>";
        Seen a = {}, b = {};
        (void) state;

        assert_int_equal(repo_xml_parse(REPO_XML_REPOMD, repomd, strlen(repomd), collect, &a, NULL), 0);
        assert_string_equal(a.text, "primary|repodata/a-primary.xml.zst|-|-|-:---.-\n"
                                    "updateinfo|repodata/b-updateinfo.xml.xz|-|-|-:---.-\n");
        /* The severity after the package list still counts: records leave at </update>. */
        assert_int_equal(repo_xml_parse(REPO_XML_UPDATEINFO, ui, strlen(ui), collect, &b, NULL), 0);
        assert_string_equal(b.text, "security|-|FEDORA-1|Critical|0:foo-1.1.noarch\n"
                                    "bugfix|-|FEDORA-2|-|-:bar-2.x86_64\n");
}

static void test_refused(void **state) {
        static const char doctype[] = "<!DOCTYPE m [<!ENTITY a \"x\">]><metadata><package><name>&a;</name></package></metadata>";
        static const char broken[] = "<metadata><package><name>a</package>";
        _cleanup_free_ char *err = NULL;
        Seen s = {};
        char deep[4096] = "";
        (void) state;

        assert_int_equal(repo_xml_parse(REPO_XML_PRIMARY, doctype, strlen(doctype), collect, &s, NULL), -EBADMSG);
        assert_int_equal(repo_xml_parse(REPO_XML_PRIMARY, broken, strlen(broken), collect, &s, &err), -EBADMSG);
        assert_non_null(strstr(err, "line 1"));
        for (int i = 0; i < 100; i++)
                strcat(deep, "<a>");
        assert_int_equal(repo_xml_parse(REPO_XML_PRIMARY, deep, strlen(deep), collect, &s, NULL), -E2BIG);
        assert_string_equal(s.text, "");
}

static void test_yum_repos(void **state) {
        static const char conf[] = "[main]\ngpgcheck=1\nexcludepkgs=kernel*, firefox\n";
        static const char repo[] =
                "# comment\n[fedora]\nname=Fedora $releasever\nbaseurl=http://a/\n  http://b/\n"
                "enabled = 1\nexclude=foo\n  bar.x86_64\n\n[updates-testing]\nenabled=0\n"
                "[fedora]\nenabled=True\nexcludepkgs=\nexcludepkgs=baz\n";
        _cleanup_(yum_repos_done) YumRepos r = {};
        _cleanup_free_ char *err = NULL;
        (void) state;

        assert_int_equal(yum_repos_parse(&r, conf, strlen(conf), "dnf.conf", true, NULL, NULL), 0);
        assert_int_equal(yum_repos_parse(&r, repo, strlen(repo), "f.repo", false, NULL, NULL), 0);
        assert_int_equal(r.n_repos, 2);
        /* The later [fedora] replaces the first; an empty excludepkgs= resets. */
        assert_string_equal(r.repos[0].id, "fedora");
        assert_true(r.repos[0].enabled);
        assert_string_equal(r.repos[0].excludes[0], "baz");
        assert_null(r.repos[0].excludes[1]);
        assert_false(r.repos[1].enabled);
        assert_true(yum_excluded(r.main_excludes, "kernel-core", "x86_64"));
        assert_true(yum_excluded(r.main_excludes, "firefox", "x86_64"));
        assert_false(yum_excluded(r.main_excludes, "bash", "x86_64"));
        assert_true(yum_excluded((char *[]) { "bash.x86_64", NULL }, "bash", "x86_64"));
        assert_false(yum_excluded((char *[]) { "bash.x86_64", NULL }, "bash", "i686"));

        assert_int_equal(yum_repos_parse(&r, "[x]\nenabled=maybe\n", 18, "bad.repo", false, NULL, &err), -EBADMSG);
        assert_string_equal(err, "bad.repo:2: enabled=\"maybe\" is not a boolean");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_primary_whole_and_streamed),
                cmocka_unit_test(test_repomd_and_updateinfo),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_yum_repos),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
