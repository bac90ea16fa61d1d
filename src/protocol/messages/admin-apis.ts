// Re-exports of the declarations for API keys 24 and above.
export {};
