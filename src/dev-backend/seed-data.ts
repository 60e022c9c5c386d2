/** Fixed vocabularies the seed draws from. Order matters: it fixes the ids. */

/**
 * Tags every project gets, in id order. The first five line up with the SDK doc's
 * hard-coded `get_tag_id` table in project 1 (approved = 1 ... low_priority = 5).
 */
export const TAG_DEFINITIONS: readonly { name: string; color: string; description: string }[] = [
  { name: 'approved', color: '#2e7d32', description: 'Passed quality control' },
  { name: 'needs_review', color: '#f9a825', description: 'Quality borderline; a second reviewer should look' },
  { name: 'rejected', color: '#c62828', description: 'Failed quality control' },
  { name: 'high_priority', color: '#d84315', description: 'Handle before other work' },
  { name: 'low_priority', color: '#78909c', description: 'Handle when the queue is quiet' },
  { name: 'urgent', color: '#b71c1c', description: 'Pending for more than 24 hours' },
  { name: 'escalated', color: '#6a1b9a', description: 'In progress for more than 72 hours' },
  { name: 'archived', color: '#455a64', description: 'Completed more than a week ago' },
  { name: 'high_performer', color: '#1565c0', description: 'Assignee completed 50 or more' },
  { name: 'regular_performer', color: '#0277bd', description: 'Assignee completed 20 to 49' },
  { name: 'new_contributor', color: '#00838f', description: 'Assignee completed fewer than 20' },
  { name: 'duplicate', color: '#8d6e63', description: 'Same item as another assignment' },
  { name: 'blurry', color: '#9e9d24', description: 'Source image is out of focus' },
];

export const PROJECT_TITLES: readonly string[] = [
  'Street scenes',
  'Medical intake forms',
  'Product photos',
  'Voice transcripts',
];

export const WORDS: readonly string[] = [
  'vehicle', 'pedestrian', 'crosswalk', 'signal', 'bicycle', 'storefront', 'receipt', 'invoice',
  'signature', 'checkbox', 'label', 'bottle', 'shoe', 'jacket', 'speaker', 'noise', 'greeting',
  'address', 'night', 'rain', 'shadow', 'partial', 'occluded', 'cropped', 'handwritten', 'scan',
];

/** Rare words (a few percent of rows, mixed case) so `search` has something to find. */
export const DISTINCTIVE_WORDS: readonly string[] = ['Quokka', 'xylophone', 'ZEPPELIN'];

export const LABELS: readonly string[] = ['cat', 'dog', 'car', 'person', 'text', 'logo', 'face', 'tree'];

export const SOURCES: readonly string[] = ['camera-1', 'camera-2', 'scanner', 'upload', 'crawler'];

export const LANGUAGES: readonly string[] = ['en', 'en', 'en', 'de', 'ko', 'ja'];
