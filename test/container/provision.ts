// Whether the container test can run here, installing podman and debootstrap first where this
// machine allows it (root and apt-get, as CI has). Anything else is a reason to skip, which the test
// prints; CI sets STYLIZE_VIDEO_REQUIRE_CONTAINER=1 so that a missing tool fails the run instead.
import { provisionTools, type Availability } from '../helpers/provision.js';

export const provisionContainerTools = (env: NodeJS.ProcessEnv = process.env): Availability =>
  provisionTools(
    {
      tools: ['podman', 'debootstrap', 'chroot', 'unshare'],
      packages: ['podman', 'debootstrap'],
      skipVariable: 'STYLIZE_VIDEO_SKIP_CONTAINER',
      // Mounting the image and chroot into it need root, whatever is installed.
      needsRoot: 'building the image from a debootstrap base and running it with chroot needs root',
    },
    env,
  );
