// Preloaded (--import) into the bench's portal process. Next's bundler hands server code the
// react-server build of next/navigation; plain Node, even under --conditions=react-server,
// resolves the client build, which needs React's client API (createContext) and fails at
// import. The portal's runtime imports next/navigation (unstable_rethrow, redirect), so the
// bench resolves it as Next would. The portal's own modules load through require (tsx compiles
// them to CommonJS), so the patch is on CommonJS resolution.
import Module from "node:module";

const serverBuilds = { "next/navigation": "next/dist/client/components/navigation.react-server.js" };
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, serverBuilds[request] ?? request, ...rest);
};
