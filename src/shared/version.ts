// knock's version: package.json's, put in by the build (esbuild's define); source runs say dev.
declare const __KNOCK_VERSION__: string | undefined;
export const VERSION = typeof __KNOCK_VERSION__ === 'string' ? __KNOCK_VERSION__ : '0.0.0-dev';
