// Re-exports of the declarations for API keys 0-23 (except 3 and 18, see index.ts).
export {};
