/** The older toolchain's per-repo settings files, newest format first. Kept apart from their
 * parser so that `dt setenv` can watch them without loading a YAML parser. */
export const OLDER_CONFIG_FILES = ["repo_config.yaml", "repo_config.py"] as const;
