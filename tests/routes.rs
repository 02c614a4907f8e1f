//! Routes composed across files: a prefix or a mount in one file moves the URLs of routes
//! in others, and an incremental run gives the bytes of a full one without parsing them.

use crate::util::{Repo, assert_same_state, copy_tree, fixture_dir, read_json};

/// A repository holding one of the catalogue's route layouts at its root, in chunks of
/// at most two files: links cross chunks, and a chunk a run does not extract is relinked
/// from its stored items.
fn layout(name: &str) -> Repo {
    let repo = Repo::empty();
    copy_tree(
        &fixture_dir(&format!("catalogue/routes/{name}")),
        repo.path(),
    );
    repo.write("discover.toml", "[chunks]\nmax_files = 2\n");
    repo
}

/// Every route of the state: (file, path, url or the reason there is none).
fn urls(repo: &Repo) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (rel, _) in repo.state_files() {
        if !rel.starts_with("routes/") {
            continue;
        }
        let json = read_json(&repo.state().join(&rel));
        for item in &crate::util::items(&json) {
            let url = match item["url"].as_str() {
                Some(url) => url.to_string(),
                None => format!("unresolved: {}", item["url_unresolved"].as_str().unwrap()),
            };
            out.push((
                item["file"].as_str().unwrap().to_string(),
                item["path"].as_str().unwrap().to_string(),
                url,
            ));
        }
    }
    out.sort();
    out
}

fn url_of(repo: &Repo, file: &str, path: &str) -> String {
    urls(repo)
        .into_iter()
        .find(|(f, p, _)| f == file && p == path)
        .map(|(_, _, url)| url)
        .unwrap_or_else(|| panic!("no route {path} in {file}: {:?}", urls(repo)))
}

/// The `request` and `response` schema ids of the route `method path` in `file`.
fn schemas_of(
    repo: &Repo,
    file: &str,
    method: &str,
    path: &str,
) -> (Option<String>, Option<String>) {
    for (rel, _) in repo.state_files() {
        if !rel.starts_with("routes/") {
            continue;
        }
        let json = read_json(&repo.state().join(&rel));
        for item in &crate::util::items(&json) {
            if item["file"] == file && item["path"] == path && item["methods"][0] == method {
                let id = |field: &str| item[field].as_str().map(str::to_string);
                return (id("request"), id("response"));
            }
        }
    }
    panic!("no route {method} {path} in {file}");
}

#[test]
fn fastapi_prefixes_compose_through_imports_settings_and_routers() {
    let repo = layout("fastapi_layers");
    repo.run(&["-q"]).expect_code(0);
    let chunks = repo.manifest()["chunks"].as_array().unwrap().len();
    assert!(chunks >= 4, "{chunks} chunks");
    let items = "app/api/routes/items.py";
    assert_eq!(url_of(&repo, items, "/{id}"), "/api/v1/items/{id}");
    assert_eq!(
        url_of(&repo, items, "/items/{id}"),
        "/api/v1/admin/items/{id}"
    );
    assert_eq!(
        url_of(&repo, "app/api/routes/users.py", "/me"),
        "/api/v1/users/me"
    );
    // Request bodies and response models, through imports; `SessionDep` (a dependency)
    // and `int` are no body.
    let (request, response) = schemas_of(&repo, items, "POST", "/");
    assert_eq!(request.as_deref(), Some("app/models.py#ItemCreate"));
    assert_eq!(response.as_deref(), Some("app/models.py#ItemPublic"));
    let (request, response) = schemas_of(&repo, items, "PUT", "/{id}");
    assert_eq!(request.as_deref(), Some("app/models.py#ItemCreate"));
    assert_eq!(response.as_deref(), Some("app/models.py#ItemPublic"));
    assert_eq!(schemas_of(&repo, items, "GET", "/{id}"), (None, None));
    // A package's router mounting a submodule it imports from itself (`from . import
    // cookbooks` in its `__init__.py`).
    assert_eq!(
        url_of(&repo, "app/api/households/cookbooks.py", "/{id}"),
        "/api/v1/households/cookbooks/{id}"
    );
    // A sub-application of another file, mounted.
    assert_eq!(url_of(&repo, "app/v2.py", "/ping"), "/v2/ping");
    assert_eq!(
        url_of(&repo, "app/api/routes/twice.py", "/both"),
        "unresolved: `app/api/routes/twice.py#router` is mounted 2 times (app/main.py:11, app/main.py:12)"
    );

    // The settings default changes: only that file is parsed, every URL under it moves.
    let config = std::fs::read_to_string(repo.path().join("app/core/config.py")).unwrap();
    repo.write(
        "app/core/config.py",
        config.replace("\"/api/v1\"", "\"/api/v2\""),
    );
    let check = repo.run(&["--check"]);
    check.expect_code(1);
    let run = repo.run(&["--incremental", "--json"]);
    run.expect_code(0);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(summary["files_parsed"], 1, "{summary}");
    assert_eq!(url_of(&repo, items, "/{id}"), "/api/v2/items/{id}");
    repo.run(&["--check"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());

    // The body's class stops being a model: the route says so, without its file parsed.
    let models = std::fs::read_to_string(repo.path().join("app/models.py")).unwrap();
    repo.write(
        "app/models.py",
        models.replace("class ItemCreate(BaseModel):", "class ItemCreate:"),
    );
    let run = repo.run(&["--incremental", "--json"]);
    run.expect_code(0);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(summary["files_parsed"], 1, "{summary}");
    let (request, _) = schemas_of(&repo, items, "POST", "/");
    assert_eq!(request, None);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());

    // A mount goes away; another router is mounted once instead of twice.
    let main = std::fs::read_to_string(repo.path().join("app/api/main.py")).unwrap();
    repo.write(
        "app/api/main.py",
        main.replace("api_router.include_router(items.router)\n", ""),
    );
    let main = std::fs::read_to_string(repo.path().join("app/main.py")).unwrap();
    repo.write(
        "app/main.py",
        main.replace("app.include_router(twice.router, prefix=\"/b\")\n", ""),
    );
    repo.run(&["--incremental", "-j", "2"]).expect_code(0);
    assert_eq!(
        url_of(&repo, items, "/{id}"),
        "unresolved: router `app/api/routes/items.py#router` is mounted nowhere discover can see"
    );
    assert_eq!(url_of(&repo, "app/api/routes/twice.py", "/both"), "/a/both");
    repo.run(&["--check"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

#[test]
fn express_mount_tables_and_requires_compose_across_files() {
    let repo = layout("express_layers");
    repo.run(&["-q"]).expect_code(0);
    let users = "src/routes/v1/user.route.js";
    assert_eq!(url_of(&repo, users, "/:userId"), "/v1/users/:userId");
    assert_eq!(url_of(&repo, users, "/"), "/v1/users");
    assert_eq!(
        url_of(&repo, "src/routes/v1/auth.route.js", "/login"),
        "/v1/auth/login"
    );
    assert_eq!(
        url_of(&repo, "src/routes/v1/docs.route.js", "/"),
        "/v1/docs"
    );
    assert_eq!(
        url_of(&repo, "src/routes/reports.ts", "/:year"),
        "/reports/:year"
    );
    assert_eq!(url_of(&repo, "src/admin.js", "/stats"), "/admin/stats");
    assert_eq!(
        schemas_of(&repo, "src/routes/v1/auth.route.js", "POST", "/check"),
        (
            Some("src/validations/check.js#CheckSchema".to_string()),
            None
        )
    );
    assert_eq!(
        schemas_of(&repo, "src/routes/v1/auth.route.js", "POST", "/signup").0,
        Some("src/routes/v1/auth.route.js#signupSchema".to_string())
    );
    assert!(
        url_of(&repo, "src/routes/health.js", "/").starts_with("unresolved: `config.healthPath`"),
        "{:?}",
        urls(&repo)
    );

    // The table's row changes and the app's mount path too: the route files are not
    // parsed again, and their URLs follow.
    let index = std::fs::read_to_string(repo.path().join("src/routes/v1/index.js")).unwrap();
    repo.write(
        "src/routes/v1/index.js",
        index.replace("'/users'", "'/members'"),
    );
    let app = std::fs::read_to_string(repo.path().join("src/app.js")).unwrap();
    repo.write("src/app.js", app.replace("'/v1'", "'/api/v1'"));
    let run = repo.run(&["--incremental", "--json"]);
    run.expect_code(0);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(summary["files_parsed"], 2, "{summary}");
    assert_eq!(url_of(&repo, users, "/:userId"), "/api/v1/members/:userId");
    repo.run(&["--check"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

#[test]
fn only_routes_runs_what_its_urls_are_composed_from() {
    let repo = layout("flask_layers");
    repo.run(&["--only", "routes", "-q"]).expect_code(0);
    assert_eq!(url_of(&repo, "views/admin.py", "/users"), "/staff/users");
    assert_eq!(url_of(&repo, "views/shop.py", "/cart"), "/shop/cart");
    assert!(repo.state().join("mounts").is_dir());
    assert!(repo.state().join("exports").is_dir());
}

#[test]
fn django_include_chains_start_at_root_urlconf() {
    let repo = layout("django_project");
    repo.run(&["-q"]).expect_code(0);
    assert_eq!(url_of(&repo, "blog/urls.py", "<int:pk>/"), "/<int:pk>/");
    assert_eq!(url_of(&repo, "api/urls.py", "items/"), "/api/v1/items/");
    assert_eq!(url_of(&repo, "news/urls.py", "latest/"), "/news/latest/");
    assert_eq!(url_of(&repo, "shop/urls.py", "cart/"), "/shop/cart/");
    // Django REST framework routers, included and added to `urlpatterns`.
    assert_eq!(
        url_of(&repo, "api/urls.py", "users/<pk>/"),
        "/api/v1/users/<pk>/"
    );
    assert_eq!(
        url_of(&repo, "shop/urls.py", "orders/<pk>"),
        "/shop/orders/<pk>"
    );
    assert!(
        url_of(&repo, "legacy/urls.py", "old/").contains("is a regular expression"),
        "{:?}",
        urls(&repo)
    );

    // The blog moves under `/blog/`; a second settings module naming the same root
    // changes nothing; one naming the blog's configuration as a root makes it ambiguous.
    let root = std::fs::read_to_string(repo.path().join("mysite/urls.py")).unwrap();
    repo.write(
        "mysite/urls.py",
        root.replace(
            "path(\"\", include(\"blog.urls\"))",
            "path(\"blog/\", include(\"blog.urls\"))",
        ),
    );
    repo.write(
        "mysite/test_settings.py",
        "ROOT_URLCONF = \"mysite.urls\"\n",
    );
    repo.run(&["--incremental"]).expect_code(0);
    assert_eq!(
        url_of(&repo, "blog/urls.py", "<int:pk>/"),
        "/blog/<int:pk>/"
    );
    assert_eq!(url_of(&repo, "api/urls.py", "items/"), "/api/v1/items/");
    repo.run(&["--check"]).expect_code(0);
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());

    // A handler's definition leaves the module the route imports it from (which now
    // merely imports it: no definition of its own), then comes back behind a package's
    // re-export. The url configuration is never parsed again, and the route follows.
    let handler = |repo: &Repo| -> String {
        let json = read_json(&repo.state().join("routes/news.json"));
        crate::util::items(&json)[0]["handlers"][0]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(handler(&repo), "news/views.py#latest");
    repo.write("news/feeds.py", "def latest(request):\n    return None\n");
    repo.write("news/views.py", "from .feeds import latest\n");
    let run = repo.run(&["--incremental", "--json"]);
    run.expect_code(0);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(summary["files_parsed"], 2, "{summary}");
    assert_eq!(handler(&repo), "latest");
    std::fs::remove_file(repo.path().join("news/views.py")).unwrap();
    std::fs::remove_file(repo.path().join("news/feeds.py")).unwrap();
    repo.write("news/views/__init__.py", "from .feeds import latest\n");
    repo.write(
        "news/views/feeds.py",
        "def latest(request):\n    return None\n",
    );
    repo.run(&["--incremental"]).expect_code(0);
    assert_eq!(handler(&repo), "news/views/feeds.py#latest");
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());

    repo.write("blog/settings.py", "ROOT_URLCONF = \"blog.urls\"\n");
    repo.run(&["--incremental", "-j", "2"]).expect_code(0);
    assert!(
        url_of(&repo, "blog/urls.py", "<int:pk>/").contains("is mounted 2 times"),
        "{:?}",
        urls(&repo)
    );
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
}

#[test]
fn plugins_are_served_where_they_are_registered_or_handed_an_app() {
    let repo = layout("fastify_layers");
    repo.run(&["-q"]).expect_code(0);
    assert_eq!(
        url_of(&repo, "routes/users.js", "/users/:id"),
        "/v1/users/:id"
    );
    assert_eq!(url_of(&repo, "routes/health.js", "/health"), "/health");
    assert_eq!(url_of(&repo, "app.js", "/local"), "/in-file/local");
    assert!(
        url_of(&repo, "app.js", "/ping").contains("`instance` is a parameter"),
        "{:?}",
        urls(&repo)
    );
    let app = std::fs::read_to_string(repo.path().join("app.js")).unwrap();
    repo.write(
        "app.js",
        app.replace("const API = '/v1';", "const API = '/v2';"),
    );
    repo.run(&["--incremental"]).expect_code(0);
    assert_eq!(
        url_of(&repo, "routes/users.js", "/users/:id"),
        "/v2/users/:id"
    );
    assert_same_state(&repo.state_of_run(&[]), &repo.state_files());

    let repo = layout("flask_layers");
    repo.run(&["-q"]).expect_code(0);
    assert_eq!(url_of(&repo, "views/hooks.py", "/ping"), "/ping");
}
