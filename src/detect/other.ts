import { joinPath, type RepoView } from "./repo-view.js";
import { type Analysis, fact, type Language } from "./types.js";

/** Languages Hilt recognizes but generates no image for: reported, built only from a Dockerfile. */
type Other = { language: Language; manifest: string };

const MANIFESTS: { test: (file: string) => boolean; language: Language }[] = [
  { test: (f) => /\.(cs|fs|vb)proj$/.test(f) || f.endsWith(".sln"), language: "dotnet" },
  { test: (f) => ["pom.xml", "build.gradle", "build.gradle.kts"].includes(f), language: "java" },
  { test: (f) => f === "Cargo.toml", language: "rust" },
  { test: (f) => f === "Gemfile", language: "ruby" },
  { test: (f) => f === "composer.json", language: "php" },
];

export function otherLanguage(files: ReadonlySet<string>): Other | undefined {
  for (const { test, language } of MANIFESTS) {
    const manifest = [...files].sort().find(test);
    if (manifest) return { language, manifest };
  }
  return undefined;
}

/** Whether the folder serves, works in the background, or runs once, by its manifest. */
const SERVER_MARKERS: Partial<Record<Language, RegExp>> = {
  dotnet: /Microsoft\.NET\.Sdk\.Web|Microsoft\.AspNetCore/,
  java: /spring-boot-starter-web|spring-boot-starter-webflux|io\.quarkus|io\.micronaut|javalin/,
  rust: /^\s*(actix-web|axum|rocket|warp|hyper|poem|tide)\s*=/m,
  ruby: /['"](rails|sinatra|puma|rack|hanami)['"]/,
  php: /laravel\/framework|symfony\/framework-bundle|slim\/slim/,
};
const WORKER_MARKERS: Partial<Record<Language, RegExp>> = {
  dotnet: /Microsoft\.NET\.Sdk\.Worker|Microsoft\.Extensions\.Hosting/,
  java: /spring-boot-starter\b|kafka|amqp/,
  rust: /^\s*(tokio|lapin|rdkafka)\s*=/m,
  ruby: /['"](sidekiq|resque|shoryuken)['"]/,
  php: /laravel\/horizon/,
};
const DEFAULT_PORTS: Partial<Record<Language, number>> = {
  dotnet: 8080,
  java: 8080,
  rust: 8080,
  ruby: 3000,
  php: 8000,
};

export function analyzeOther(
  view: RepoView,
  dir: string,
  other: Other,
): { analysis: Analysis; isService: boolean } {
  const file = joinPath(dir, other.manifest);
  const text = view.read(file) ?? "";
  const analysis: Analysis = {
    language: fact(other.language, file),
    support: fact("none", `Hilt generates no ${other.language} image; write a Dockerfile`),
    spa: false,
  };
  const server = SERVER_MARKERS[other.language]?.test(text);
  if (server) {
    analysis.kind = fact("service", `${file}: web framework`);
    const port = DEFAULT_PORTS[other.language];
    if (port) analysis.port = fact(port, `${other.language} default`);
  } else if (WORKER_MARKERS[other.language]?.test(text)) {
    analysis.kind = fact("service", `${file}: background worker (no port)`);
  } else {
    // A program that runs once: a .NET Exe, a Rust binary; anything else is a library.
    const runs =
      (other.language === "dotnet" && /<OutputType>\s*Exe\s*<\/OutputType>/i.test(text)) ||
      (other.language === "rust" && view.read(joinPath(dir, "src/main.rs")) !== undefined);
    if (!runs) return { analysis, isService: false };
    analysis.kind = fact("job", `${file}: a program with no server or worker host`);
  }
  return { analysis, isService: true };
}
