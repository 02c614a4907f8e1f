//! `discover mcp`: a Model Context Protocol server on stdio, one tool per query verb, on
//! `rmcp` (the official Rust SDK): JSON-RPC framing, the `initialize` handshake and
//! protocol-version negotiation are the SDK's; the tools and their answers are
//! `crate::query`'s. Answers come as text (a line each, as `discover query` prints them)
//! and as structured content (`{"answers": [...], "stale": ...}`); a bad argument or a
//! missing inventory is a tool error, never a crash. Nothing but protocol goes to stdout:
//! logs go to stderr.

use crate::query::{self, Verb};
use clap::Parser;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

/// Serve the inventory in .state/ to an AI assistant over the Model Context Protocol
/// (stdio): one tool per `discover query` verb.
#[derive(Debug, Parser)]
#[command(name = "discover mcp")]
pub struct McpArgs {
    /// Repository whose inventory is served [default: found upwards from the working
    /// directory, as `discover` finds it].
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,

    /// The inventory's directory [default: ROOT/.state].
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

/// Runs `discover mcp` with the arguments after `mcp`; returns the exit code.
pub fn main(args: &[std::ffi::OsString]) -> i32 {
    let parsed = McpArgs::try_parse_from(
        std::iter::once(std::ffi::OsString::from("discover mcp")).chain(args.iter().cloned()),
    );
    let args = match parsed {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the server: {e}");
            return 2;
        }
    };
    let server = Server {
        root: args.root,
        state_dir: args.state_dir,
    };
    let served = runtime.block_on(async move {
        let service = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| e.to_string())?;
        service.waiting().await.map_err(|e| e.to_string())?;
        Ok::<(), String>(())
    });
    match served {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

#[derive(Clone)]
struct Server {
    root: Option<PathBuf>,
    state_dir: Option<PathBuf>,
}

/// One tool: its name, description and the properties of its input (name, JSON type,
/// description, required).
struct ToolDef {
    name: &'static str,
    description: &'static str,
    params: &'static [(&'static str, &'static str, &'static str, bool)],
}

const TOOLS: &[ToolDef] = &[
    ToolDef {
        name: "symbol",
        description: "Where a definition is: an exact id (`path#Qualified.Name`), else every definition with that name, else those whose name starts with it (any case).",
        params: &[("symbol", "string", "a name or an id", true)],
    },
    ToolDef {
        name: "callers",
        description: "The call sites that reach a definition (a name means every definition so named), with the calling definition's id; `depth` follows callers of callers.",
        params: &[
            ("symbol", "string", "a name or an id", true),
            (
                "depth",
                "integer",
                "levels of callers to follow (default 1)",
                false,
            ),
        ],
    },
    ToolDef {
        name: "callees",
        description: "The calls a definition makes, with the id of each repository definition they reach.",
        params: &[("symbol", "string", "a name or an id", true)],
    },
    ToolDef {
        name: "exports",
        description: "The public surface of a file or directory (through re-exports and `export *`), each name with the id of the definition it reaches.",
        params: &[(
            "path",
            "string",
            "a file or directory, relative to the repository root",
            true,
        )],
    },
    ToolDef {
        name: "importers",
        description: "The import statements that load a file (or any file of a directory); `transitive` adds those that load it through barrels.",
        params: &[
            (
                "path",
                "string",
                "a file or directory, relative to the repository root",
                true,
            ),
            (
                "transitive",
                "boolean",
                "also through files that re-export it",
                false,
            ),
        ],
    },
    ToolDef {
        name: "routes",
        description: "HTTP routes whose path or handler contains the pattern (any case), or whose method is it; every route without a pattern.",
        params: &[(
            "pattern",
            "string",
            "part of a path or handler, or a method",
            false,
        )],
    },
    ToolDef {
        name: "uses",
        description: "Components and hooks that call the hook, or render the component, of this name.",
        params: &[("name", "string", "a hook or component name", true)],
    },
    ToolDef {
        name: "tests_for",
        description: "Test cases whose files import the path (through barrels), or call the definition (a name or an id).",
        params: &[(
            "target",
            "string",
            "a file or directory, a name or an id",
            true,
        )],
    },
];

fn schema(tool: &ToolDef) -> JsonObject {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for (name, kind, description, needed) in tool.params {
        properties.insert(
            (*name).to_string(),
            json!({ "type": kind, "description": description }),
        );
        if *needed {
            required.push(*name);
        }
    }
    let mut object = serde_json::Map::new();
    object.insert("type".into(), json!("object"));
    object.insert("properties".into(), Value::Object(properties));
    object.insert("required".into(), json!(required));
    object.insert("additionalProperties".into(), json!(false));
    object
}

/// The verb a tool call asks, from its arguments.
fn verb(name: &str, args: &JsonObject) -> Result<Verb, String> {
    let text = |key: &str| -> Result<String, String> {
        match args.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(_) => Err(format!("`{key}` must be a non-empty string")),
            None => Err(format!("`{key}` is required")),
        }
    };
    let optional_text = |key: &str| -> Result<Option<String>, String> {
        match args.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("`{key}` must be a string")),
        }
    };
    Ok(match name {
        "symbol" => Verb::Symbol {
            name: text("symbol")?,
        },
        "callers" => {
            let depth = match args.get("depth") {
                None | Some(Value::Null) => 1,
                Some(v) => v
                    .as_u64()
                    .filter(|d| (1..=64).contains(d))
                    .ok_or("`depth` must be an integer from 1 to 64")?
                    as u32,
            };
            Verb::Callers {
                name: text("symbol")?,
                depth,
            }
        }
        "callees" => Verb::Callees {
            name: text("symbol")?,
        },
        "exports" => Verb::Exports {
            path: text("path")?,
        },
        "importers" => Verb::Importers {
            path: text("path")?,
            transitive: match args.get("transitive") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err("`transitive` must be a boolean".into()),
            },
        },
        "routes" => Verb::Routes {
            pattern: optional_text("pattern")?,
        },
        "uses" => Verb::Uses {
            name: text("name")?,
        },
        "tests_for" => Verb::TestsFor {
            target: text("target")?,
        },
        other => return Err(format!("no tool named `{other}`")),
    })
}

impl Server {
    /// Answers one call: the text and the structured content, or the error message.
    fn answer(&self, name: &str, args: &JsonObject) -> Result<(String, Value), String> {
        let verb = verb(name, args)?;
        let cfg = query::config(self.root.as_deref(), self.state_dir.as_deref())?;
        let (answers, stale) = query::ask(&cfg, &verb, true)?;
        let mut text = String::new();
        if let Some(warning) = &stale {
            text.push_str(&format!("note: {warning}\n"));
        }
        if answers.is_empty() {
            text.push_str("nothing found\n");
        }
        for a in &answers {
            text.push_str(&a.text);
            text.push('\n');
        }
        let objects: Vec<Value> = answers
            .into_iter()
            .map(|a| Value::Object(a.object))
            .collect();
        Ok((text, json!({ "answers": objects, "stale": stale })))
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("discover", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Answers about this repository's code from its committed inventory (.state/): definitions, callers and callees, export surfaces, importers, routes, hook and component uses, tests. Ids are `path#Qualified.Name`.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            TOOLS
                .iter()
                .map(|t| Tool::new(t.name, t.description, Arc::new(schema(t))))
                .collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        let result = match self.answer(&request.name, &args) {
            Ok((text, structured)) => {
                let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
                result.structured_content = Some(structured);
                result
            }
            Err(message) => {
                eprintln!("discover mcp: {}: {message}", request.name);
                CallToolResult::error(vec![ContentBlock::text(format!("error: {message}"))])
            }
        };
        Ok(CallToolResponse::Complete(result))
    }
}
