// Types of fresh-build.mjs (plain JavaScript, loaded before any TypeScript loader).
export declare const PACKAGE_ROOT: string;
export declare function buildIsFresh(root?: string): boolean;
export declare function unstampBuild(root?: string): void;
export declare function stampBuild(startedMs: number, root?: string): void;
export declare function compiledUrl(source: URL, root?: string): URL | undefined;
export declare function importBuiltOrSource(source: URL, root?: string): Promise<unknown>;
