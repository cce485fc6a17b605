// The mini program runtime has console but no DOM lib; declare only what the code uses.
declare const console: {
  log(...a: unknown[]): void;
  warn(...a: unknown[]): void;
  error(...a: unknown[]): void;
};
// Types getApp().globalData for pages (without it: TS2339 'globalData' does not exist).
interface IGlobalMiniProgramExtraThis4App {
  globalData: { apiBase: string };
}
