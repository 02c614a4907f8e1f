//! Import resolution against real trees: tsconfig `extends` chains, nearest config wins,
//! Python projects in subdirectories.

use crate::util::{Repo, read_json};

fn targets(repo: &Repo, file: &str) -> Vec<(String, Vec<String>)> {
    let imports = read_json(&repo.state().join("imports/_root.json"));
    imports["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["file"] == file)
        .map(|i| {
            let targets = i["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect();
            (i["specifier"].as_str().unwrap().to_string(), targets)
        })
        .collect()
}

#[test]
fn tsconfig_extends_and_nearest_config() {
    let repo = Repo::empty();
    repo.write(
        "tsconfig.base.json",
        r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "~/*": ["shared/*"] } } }"#,
    );
    repo.write(
        "web/tsconfig.json",
        r#"{ "extends": "../tsconfig.base.json" }"#,
    );
    repo.write("shared/util.ts", "export const u = 1;\n");
    repo.write("shared/ui/index.tsx", "export const B = 1;\n");
    repo.write(
        "web/app.ts",
        "import { u } from '~/util';\nimport { B } from '~/ui';\nimport x from 'left-pad';\n",
    );
    repo.run(&[]).expect_code(0);
    assert_eq!(
        targets(&repo, "web/app.ts"),
        [
            ("~/util".to_string(), vec!["shared/util.ts".to_string()]),
            ("~/ui".to_string(), vec!["shared/ui/index.tsx".to_string()]),
            ("left-pad".to_string(), vec![]),
        ]
    );
    // Editing the tsconfig changes resolution: --check notices, --incremental repairs.
    repo.write(
        "tsconfig.base.json",
        r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "~/*": ["nowhere/*"] } } }"#,
    );
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains("imports: files added or removed elsewhere, or a tsconfig changed");
    repo.run(&["--incremental"]).expect_code(0);
    assert!(
        targets(&repo, "web/app.ts")
            .iter()
            .all(|(_, t)| t.is_empty())
    );
    repo.run(&["--check"]).expect_code(0);
}

#[test]
fn python_project_in_a_subdirectory() {
    let repo = Repo::empty();
    repo.write("backend/shop/__init__.py", "");
    repo.write("backend/shop/models.py", "class Order:\n    pass\n");
    repo.write("backend/shop/api/__init__.py", "");
    repo.write(
        "backend/shop/api/views.py",
        "from shop.models import Order\nfrom .. import models\nimport json\n",
    );
    repo.run(&[]).expect_code(0);
    assert_eq!(
        targets(&repo, "backend/shop/api/views.py"),
        [
            (
                "shop.models".to_string(),
                vec!["backend/shop/models.py".to_string()]
            ),
            (
                "..".to_string(),
                vec![
                    "backend/shop/__init__.py".to_string(),
                    "backend/shop/models.py".to_string()
                ]
            ),
            ("json".to_string(), vec![]),
        ]
    );
}
