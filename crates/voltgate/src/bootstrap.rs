//! First start: with an empty database, create the admin user, their personal team and an API
//! token; print the token once and write it to `<data-dir>/admin-token` (mode 0600).

use std::io::Write;

use anyhow::Context;
use voltgate_core::auth::{generate_token, hash_token};
use voltgate_core::Store;

use crate::config::Config;

/// The e-mail of the user created on first start.
pub const ADMIN_EMAIL: &str = "admin@voltgate.local";

pub struct Bootstrap {
    pub admin_team_id: i64,
    /// Set when this start created the admin (and so a token).
    pub new_token: Option<String>,
}

pub async fn ensure_admin(store: &dyn Store, config: &Config) -> anyhow::Result<Bootstrap> {
    if store.count_users().await? == 0 {
        let user = store.create_user("Admin", ADMIN_EMAIL, true).await?;
        let team = store
            .create_team(user.id, "Admin's team", Some(ADMIN_EMAIL), "Personal", true)
            .await?;
        let token = generate_token();
        store
            .create_token(user.id, "admin (first start)", &hash_token(&token))
            .await?;
        let path = config.data_dir.join("admin-token");
        write_secret(&path, &token)
            .with_context(|| format!("could not write {}", path.display()))?;
        if config.print_admin_token {
            println!(
                "\nCreated the admin user ({ADMIN_EMAIL}) and an API token. It is shown only this once\n\
                 and was saved to {}:\n\n    {token}\n\nUse it as: Authorization: Bearer <token>\n",
                path.display()
            );
        }
        tracing::info!(path = %path.display(), "created the admin user and wrote the admin token file");
        return Ok(Bootstrap {
            admin_team_id: team.id,
            new_token: Some(token),
        });
    }
    let admin = store.find_user_by_email(ADMIN_EMAIL).await?;
    let team_id = match admin {
        Some(admin) => store
            .memberships(admin.id)
            .await?
            .into_iter()
            .map(|m| m.team.id)
            .next(),
        None => None,
    };
    let team_id =
        team_id.context("the admin user or their team is missing; auto-registration needs it")?;
    Ok(Bootstrap {
        admin_team_id: team_id,
        new_token: None,
    })
}

fn write_secret(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    writeln!(file, "{secret}")
}
