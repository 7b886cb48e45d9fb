/** @type {import("next").NextConfig} */
const config = {
  transpilePackages: ["@acme/ui", "@acme/validators"],
};

export default config;
