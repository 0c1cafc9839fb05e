/**
 * The repository the plugin's links point at (plugin.json's author and links, the plugin page's README
 * and CHANGELOG). The committed files name an assumed one, https://github.com/cloudsql-cos-ts/cloudsql-cos-ts;
 * a release sets the real one with the environment variable PLUGIN_REPOSITORY_URL, and the build writes
 * it into dist/. One place, so the build and its check (scripts/check-dist.mjs) agree.
 */
const ASSUMED_REPOSITORY_URL = 'https://github.com/cloudsql-cos-ts/cloudsql-cos-ts';

/** `text` with the assumed repository URL replaced by PLUGIN_REPOSITORY_URL (unchanged when unset). */
function withRepositoryUrl(text) {
  const url = (process.env.PLUGIN_REPOSITORY_URL || ASSUMED_REPOSITORY_URL).replace(/\/+$/, '');
  return text.split(ASSUMED_REPOSITORY_URL).join(url);
}

module.exports = { ASSUMED_REPOSITORY_URL, withRepositoryUrl };
