// A figure module's two entry points, made from its one drawing function.
//
// The page calls mount() for the live figure; the build calls picture() in Node for the static
// picture a reader without JavaScript sees. Both run the same `build(element, params, runtime,
// { interactive })`, so the picture is the live figure's first frame by construction; only
// `interactive` differs (no controls, no listeners, no animation in the picture).

/** `{ picture, mount }` for a module whose drawing function is `build`. */
export function entryPoints(build) {
  return {
    async picture(element, params, runtime) {
      await build(element, params, runtime, { interactive: false });
    },
    mount(element, params, runtime) {
      return build(element, params, runtime, { interactive: true });
    },
  };
}
