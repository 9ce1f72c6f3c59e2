// Whether the Slurm test can run here, installing Slurm first where this machine allows it (root
// and apt-get, as CI has). Anything else is a reason to skip, which the test prints; CI sets
// STYLIZE_VIDEO_REQUIRE_SLURM=1 so that a Slurm that cannot start fails the run instead.
import { provisionTools, type Availability } from '../helpers/provision.js';

export type SlurmAvailability = Availability;

export const provisionSlurm = (env: NodeJS.ProcessEnv = process.env): SlurmAvailability =>
  provisionTools({ tools: ['munged', 'slurmctld', 'slurmd', 'sbatch'], packages: ['slurm-wlm', 'munge'], skipVariable: 'STYLIZE_VIDEO_SKIP_SLURM' }, env);
