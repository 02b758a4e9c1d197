import { describe, expect, it } from "vitest";
import { cgroupLayout } from "./caps";

// Where the portal makes its environments' control groups, read from /proc/self/cgroup and
// /proc/self/mountinfo as three kinds of machine show them.

const read = (files: Record<string, string>) => (file: string) => {
  if (!(file in files)) throw Object.assign(new Error(`ENOENT: ${file}`), { code: "ENOENT" });
  return files[file];
};

// This machine: cgroup v1 memory and cpu, and an empty cgroup2 ("unified") beside them.
const v1Mounts = [
  "30 25 0:27 / /sys/fs/cgroup/cpu rw,relatime shared:8 - cgroup cgroup rw,cpu",
  "33 25 0:30 / /sys/fs/cgroup/memory rw,relatime shared:11 - cgroup cgroup rw,memory",
  "38 25 0:35 / /sys/fs/cgroup/unified rw,relatime shared:16 - cgroup2 cgroup2 rw",
].join("\n");
const v1Own = "4:memory:/process_api/abc\n1:cpu:/\n0::/\n";

describe("cgroup layout", () => {
  it("uses cgroup v1's memory and cpu hierarchies, under the portal's own groups, when v2 has no memory controller", () => {
    const layout = cgroupLayout("/data", read({ "/proc/self/mountinfo": v1Mounts, "/proc/self/cgroup": v1Own, "/sys/fs/cgroup/unified/cgroup.controllers": "hugetlb\n" }));
    expect(layout?.mode).toBe("cgroup-v1");
    expect(layout?.memory).toMatch(/^\/sys\/fs\/cgroup\/memory\/process_api\/abc\/dask-portal-[0-9a-f]{8}$/);
    expect(layout?.cpu).toMatch(/^\/sys\/fs\/cgroup\/cpu\/dask-portal-[0-9a-f]{8}$/);
  });

  it("uses cgroup v2 where the portal's group offers memory and cpu (a systemd unit with Delegate=yes)", () => {
    const files = {
      "/proc/self/mountinfo": "25 1 0:22 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate",
      "/proc/self/cgroup": "0::/system.slice/dask-portal.service\n",
      "/sys/fs/cgroup/system.slice/dask-portal.service/cgroup.controllers": "cpuset cpu io memory pids\n",
    };
    const layout = cgroupLayout("/data", read(files));
    expect(layout).toMatchObject({ mode: "cgroup-v2" });
    expect(layout?.memory).toBe(layout?.cpu);
    expect(layout?.memory).toMatch(/^\/sys\/fs\/cgroup\/system\.slice\/dask-portal\.service\/dask-portal-[0-9a-f]{8}$/);
  });

  it("finds nothing to use where neither v2 offers the controllers nor v1 mounts them", () => {
    const files = {
      "/proc/self/mountinfo": "25 1 0:22 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw",
      "/proc/self/cgroup": "0::/user.slice/session-1.scope\n",
      "/sys/fs/cgroup/user.slice/session-1.scope/cgroup.controllers": "pids\n",
    };
    expect(cgroupLayout("/data", read(files))).toBeNull();
  });

  it("gives two portals on one machine (two data folders) folders of their own", () => {
    const files = { "/proc/self/mountinfo": v1Mounts, "/proc/self/cgroup": v1Own, "/sys/fs/cgroup/unified/cgroup.controllers": "" };
    expect(cgroupLayout("/a", read(files))?.memory).not.toBe(cgroupLayout("/b", read(files))?.memory);
  });
});
