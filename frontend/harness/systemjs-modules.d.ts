// SystemJS's browser builds are side-effect scripts (they install window.System); nothing is imported.
declare module 'systemjs/dist/system.js';
declare module 'systemjs/dist/extras/amd.js';
