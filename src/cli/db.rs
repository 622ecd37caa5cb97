//! `studioflow db migrate|import|export --store URL`: the permission model
//! in PostgreSQL. Exit 0 done; 2 bad input, including a store that cannot
//! be reached (after the connect timeout) or a schema of another version.

use studioflow::permissions::postgres::{
    connect, import_tenant, load_tenant, migrate, schema_version, StoreUrl,
};
use studioflow::permissions::Directory;

use super::args::{DbCommand, DbExportArgs, DbImportArgs, StoreArgs};
use super::exit::{EXIT_INPUT, EXIT_OK};

pub(super) fn db(command: DbCommand) -> i32 {
    let result = match command {
        DbCommand::Migrate(args) => db_migrate(&args),
        DbCommand::Import(args) => db_import(&args),
        DbCommand::Export(args) => db_export(&args),
    };
    match result {
        Ok(message) => {
            errln!("{message}");
            EXIT_OK
        }
        Err(message) => {
            errln!("error: {message}");
            EXIT_INPUT
        }
    }
}

fn open(store: &StoreArgs) -> Result<(postgres::Client, StoreUrl), String> {
    let url = StoreUrl::parse(&store.store).map_err(|e| e.to_string())?;
    let client = connect(&url).map_err(|e| e.to_string())?;
    Ok((client, url))
}

fn db_migrate(args: &StoreArgs) -> Result<String, String> {
    let (mut client, url) = open(args)?;
    let applied = migrate(&mut client, &url).map_err(|e| e.to_string())?;
    Ok(match applied {
        0 => format!(
            "{}: schema version {} (current)",
            url.shown(),
            schema_version()
        ),
        n => format!(
            "{}: schema version {} ({n} migration{} applied)",
            url.shown(),
            schema_version(),
            if n == 1 { "" } else { "s" }
        ),
    })
}

fn db_import(args: &DbImportArgs) -> Result<String, String> {
    let directory = Directory::load_file_with_limit(&args.tenant, args.input.max_file_size)
        .map_err(|e| e.to_string())?;
    let (mut client, url) = open(&args.store)?;
    let revision = import_tenant(&mut client, &url, &directory).map_err(|e| e.to_string())?;
    Ok(format!(
        "{}: imported {} (revision {revision})",
        url.shown(),
        args.tenant.display()
    ))
}

fn db_export(args: &DbExportArgs) -> Result<String, String> {
    let (mut client, url) = open(&args.store)?;
    let (directory, revision) = load_tenant(&mut client, &url).map_err(|e| e.to_string())?;
    directory.save_file(&args.out).map_err(|e| e.to_string())?;
    Ok(format!(
        "{}: exported revision {revision} to {}",
        url.shown(),
        args.out.display()
    ))
}
