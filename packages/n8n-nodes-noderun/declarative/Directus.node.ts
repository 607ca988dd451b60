import type { INodeType, INodeTypeDescription } from 'n8n-workflow';
import { description } from '../nodes/Directus/description';

/**
 * The same description without execute(): n8n's own declarative engine (RoutingNode) runs it.
 * Packed as n8n-nodes-noderun-declarative by `scripts/n8n-package --declarative`, to compare.
 */
export class Directus implements INodeType {
	description: INodeTypeDescription = description;
}
