/** The dynamic configuration most hostile-client tests need: Host(`app.test`) to one backend, on every entrypoint. */
export function appRouteTo(backendUrl: string): Record<string, string> {
  return {
    'routes.yaml': `http:\n  routers:\n    app:\n      rule: Host(\`app.test\`)\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers: [{ url: "${backendUrl}" }]\n`,
  };
}
