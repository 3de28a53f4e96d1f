/**
 * Why Deno found no WebGPU adapter on Linux. Deno's WebGPU runs on Vulkan: it needs the Vulkan
 * loader (`libvulkan.so.1`) and at least one installable client driver (ICD), announced by a JSON
 * manifest whose `library_path` names the driver library. In containers the NVIDIA ICD is mounted
 * only when the container asks for the "graphics" driver capability. This module looks where the
 * loader looks and says what is missing; it reads the file system through {@link FileView}, so
 * the diagnosis is a pure function of a (possibly fake) listing. It never loads a driver.
 */

/** The file-system and environment reads the diagnosis needs (real or fake). */
export interface FileView {
  /** True when the path exists (file, folder or device node). */
  exists(path: string): boolean;
  /** The names in a folder, or null when it does not exist. */
  list(dir: string): string[] | null;
  /** A text file's content, or null when it cannot be read. */
  read(path: string): string | null;
  /** An environment variable, or undefined. */
  env(name: string): string | undefined;
}

/** One ICD manifest and what it points to. */
export interface IcdManifest {
  path: string;
  /** `ICD.library_path`, or null when the manifest cannot be parsed. */
  library: string | null;
  /** Where the library was found (null: nowhere). */
  libraryFound: string | null;
}

/** What the Vulkan loader would see. */
export interface VulkanFacts {
  /** Folders searched for libvulkan.so.1, in order. */
  loaderDirs: string[];
  /** The loader's path, or null when none of `loaderDirs` holds it. */
  loader: string | null;
  /** The manifest folders searched (or the files named by VK_ICD_FILENAMES / VK_DRIVER_FILES). */
  icdSearched: string[];
  /** The environment variable that replaced the default search, if any. */
  icdOverride: string | null;
  manifests: IcdManifest[];
  /** /dev/nvidia0, /dev/nvidiactl…: an NVIDIA GPU is exposed to this machine or container. */
  nvidiaDevices: string[];
  /** /dev/dri/renderD*: a GPU usable through Mesa's drivers. */
  renderNodes: string[];
}

/** Default library folders of Debian/Ubuntu (x86-64) and other distributions. */
const LIB_DIRS = [
  "/usr/lib/x86_64-linux-gnu",
  "/lib/x86_64-linux-gnu",
  "/usr/lib64",
  "/lib64",
  "/usr/lib",
  "/lib",
  "/usr/local/lib",
];

/** The Vulkan loader's manifest folders on Linux, in its search order. */
function icdDirs(fs: FileView): string[] {
  const home = fs.env("HOME");
  const config = fs.env("XDG_CONFIG_HOME") ?? (home ? `${home}/.config` : undefined);
  const data = fs.env("XDG_DATA_HOME") ?? (home ? `${home}/.local/share` : undefined);
  const configDirs = (fs.env("XDG_CONFIG_DIRS") ?? "/etc/xdg").split(":").filter(Boolean);
  const dataDirs = (fs.env("XDG_DATA_DIRS") ?? "/usr/local/share:/usr/share").split(":")
    .filter(Boolean);
  return [
    ...(config ? [config] : []),
    ...configDirs,
    "/etc",
    ...(data ? [data] : []),
    ...dataDirs,
  ].map((d) => `${d}/vulkan/icd.d`).filter((d, i, all) => all.indexOf(d) === i);
}

/** The library folders the dynamic linker would search: LD_LIBRARY_PATH, ld.so.conf.d, defaults. */
function libraryDirs(fs: FileView): string[] {
  const dirs = (fs.env("LD_LIBRARY_PATH") ?? "").split(":").filter(Boolean);
  for (const name of (fs.list("/etc/ld.so.conf.d") ?? []).sort()) {
    if (!name.endsWith(".conf")) continue;
    for (const line of (fs.read(`/etc/ld.so.conf.d/${name}`) ?? "").split("\n")) {
      const d = line.trim();
      if (d.startsWith("/")) dirs.push(d);
    }
  }
  dirs.push(...LIB_DIRS);
  return dirs.filter((d, i) => dirs.indexOf(d) === i);
}

function findLibrary(fs: FileView, dirs: string[], name: string): string | null {
  if (name.includes("/")) return fs.exists(name) ? name : null;
  for (const d of dirs) if (fs.exists(`${d}/${name}`)) return `${d}/${name}`;
  return null;
}

function readManifest(fs: FileView, path: string, libDirs: string[]): IcdManifest {
  let library: string | null = null;
  try {
    const lib = JSON.parse(fs.read(path) ?? "")?.ICD?.library_path;
    if (typeof lib === "string") library = lib;
  } catch {
    // unreadable or not JSON: reported as such
  }
  if (library === null) return { path, library, libraryFound: null };
  // A relative path with a slash is relative to the manifest's folder (the loader's rule).
  const resolved = library.includes("/") && !library.startsWith("/")
    ? `${path.slice(0, path.lastIndexOf("/"))}/${library}`
    : library;
  return { path, library, libraryFound: findLibrary(fs, libDirs, resolved) };
}

/** Looks where the Vulkan loader looks. */
export function gatherVulkanFacts(fs: FileView): VulkanFacts {
  const loaderDirs = libraryDirs(fs);
  const loader = findLibrary(fs, loaderDirs, "libvulkan.so.1");
  const overrideVar = ["VK_DRIVER_FILES", "VK_ICD_FILENAMES"].find((v) => fs.env(v));
  const manifests: IcdManifest[] = [];
  let icdSearched: string[];
  if (overrideVar) {
    icdSearched = fs.env(overrideVar)!.split(":").filter(Boolean);
    for (const p of icdSearched) {
      const inDir = fs.list(p);
      const files = inDir ? inDir.filter((n) => n.endsWith(".json")).map((n) => `${p}/${n}`) : [p];
      for (const f of files) if (fs.exists(f)) manifests.push(readManifest(fs, f, loaderDirs));
    }
  } else {
    icdSearched = icdDirs(fs);
    for (const d of icdSearched) {
      for (const n of (fs.list(d) ?? []).filter((n) => n.endsWith(".json")).sort()) {
        manifests.push(readManifest(fs, `${d}/${n}`, loaderDirs));
      }
    }
  }
  const nvidiaDevices = (fs.list("/dev") ?? []).filter((n) => /^nvidia(\d+|ctl)$/.test(n)).sort()
    .map((n) => `/dev/${n}`);
  const renderNodes = (fs.list("/dev/dri") ?? []).filter((n) => n.startsWith("renderD")).sort()
    .map((n) => `/dev/dri/${n}`);
  return {
    loaderDirs,
    loader,
    icdSearched,
    icdOverride: overrideVar ?? null,
    manifests,
    nvidiaDevices,
    renderNodes,
  };
}

const isNvidia = (m: IcdManifest) => /nvidia/i.test(m.path) || /nvidia/i.test(m.library ?? "");

/**
 * Why no adapter was found, most basic cause first, each line a cause and its fix; empty when the
 * files are all in place (the driver itself then refused: see the Vulkan loader's own log with
 * VK_LOADER_DEBUG=all).
 */
export function diagnoseVulkan(f: VulkanFacts): string[] {
  const out: string[] = [];
  if (f.loader === null) {
    out.push(
      `no Vulkan loader: libvulkan.so.1 is in none of ${f.loaderDirs.join(", ")}: ` +
        `install it (Debian: apt-get install libvulkan1), or with the offline pack use ./polyscore, ` +
        `which sets LD_LIBRARY_PATH to the loader it carries`,
    );
  }
  const usable = f.manifests.filter((m) => m.libraryFound !== null);
  if (f.manifests.length === 0) {
    const where = f.icdOverride
      ? `${f.icdOverride} names ${f.icdSearched.join(", ")}, and no manifest exists there`
      : `no *.json in ${f.icdSearched.join(", ")}`;
    out.push(
      `no Vulkan driver (ICD) manifest: ${where}: install one (Debian: apt-get install ` +
        `mesa-vulkan-drivers for Mesa's CPU driver llvmpipe; an NVIDIA driver ships nvidia_icd.json)`,
    );
  }
  for (const m of f.manifests) {
    if (m.library === null) {
      out.push(`ICD manifest ${m.path} has no readable ICD.library_path`);
    } else if (m.libraryFound === null) {
      out.push(
        `ICD manifest ${m.path} names ${m.library}, which is in none of the library folders ` +
          `(${f.loaderDirs.join(", ")})`,
      );
    }
  }
  if (f.nvidiaDevices.length > 0 && !usable.some(isNvidia)) {
    out.push(
      `an NVIDIA GPU is exposed (${f.nvidiaDevices.join(", ")}) but no usable NVIDIA Vulkan ICD ` +
        `was found: in a container run with NVIDIA_DRIVER_CAPABILITIES=all (or compute,utility,` +
        `graphics) so the NVIDIA Container Toolkit mounts nvidia_icd.json and libGLX_nvidia.so.0; ` +
        `on a host install the driver's Vulkan part (Debian: nvidia-vulkan-icd)`,
    );
  }
  return out;
}

/** A {@link FileView} over the real file system and environment. */
export const REAL_FILES: FileView = {
  exists(path) {
    try {
      Deno.statSync(path);
      return true;
    } catch {
      return false;
    }
  },
  list(dir) {
    try {
      return [...Deno.readDirSync(dir)].map((e) => e.name);
    } catch {
      return null;
    }
  },
  read(path) {
    try {
      return Deno.readTextFileSync(path);
    } catch {
      return null;
    }
  },
  env(name) {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined;
    }
  },
};
