import {
  createRouteSelector,
  parseRouteSelectionExpression,
  RouteSelectionError,
} from '../../../../local/apigateway/route-selection';

describe('route selection', () => {
  const keys = ['$connect', '$disconnect', '$default', 'sendMessage', 'setName'];

  describe('with $request.body.action and a $default route', () => {
    const select = createRouteSelector('$request.body.action', keys);

    it('selects the route whose key is the action', () => {
      expect(select('{"action":"sendMessage","message":"hi"}')).toBe('sendMessage');
    });

    it('sends an unknown action to $default', () => {
      expect(select('{"action":"dance"}')).toBe('$default');
    });

    it('sends a body without an action to $default', () => {
      expect(select('{"message":"hi"}')).toBe('$default');
    });

    it('sends a body that is not JSON to $default', () => {
      expect(select('hello there')).toBe('$default');
      expect(select('{"action":"sendMessage"')).toBe('$default');
      expect(select('')).toBe('$default');
    });

    it('sends JSON that is not an object to $default', () => {
      expect(select('["sendMessage"]')).toBe('$default');
      expect(select('"sendMessage"')).toBe('$default');
      expect(select('null')).toBe('$default');
    });

    it('never selects a built-in route from the body', () => {
      expect(select('{"action":"$connect"}')).toBe('$default');
      expect(select('{"action":"$disconnect"}')).toBe('$default');
    });

    it('is case-sensitive, as route keys are', () => {
      expect(select('{"action":"SENDMESSAGE"}')).toBe('$default');
    });

    it('tolerates whitespace before the JSON object', () => {
      expect(select(' \n{"action":"setName"}')).toBe('setName');
    });

    it('does not select a route from an object or array action', () => {
      expect(select('{"action":{"name":"sendMessage"}}')).toBe('$default');
    });
  });

  describe('without a $default route', () => {
    const select = createRouteSelector('$request.body.action', ['$connect', 'sendMessage']);

    it('selects nothing for an unknown action (the gateway answers Forbidden)', () => {
      expect(select('{"action":"dance"}')).toBeUndefined();
      expect(select('not json')).toBeUndefined();
    });

    it('still selects known routes', () => {
      expect(select('{"action":"sendMessage"}')).toBe('sendMessage');
    });
  });

  describe('with a nested path', () => {
    const select = createRouteSelector('$request.body.meta.type', ['$default', 'ping']);

    it('follows the path into nested objects', () => {
      expect(select('{"meta":{"type":"ping"}}')).toBe('ping');
    });

    it('falls back when a level is missing or not an object', () => {
      expect(select('{"meta":"ping"}')).toBe('$default');
      expect(select('{"type":"ping"}')).toBe('$default');
    });
  });

  describe('with the template form', () => {
    // API Gateway's own ${...} syntax, not a template literal.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway selection expression syntax
    it('accepts ${request.body.action} like $request.body.action', () => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway selection expression syntax
      const select = createRouteSelector('${request.body.action}', ['$default', 'join']);
      expect(select('{"action":"join"}')).toBe('join');
    });

    it('joins several parts with the literal text between them', () => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway selection expression syntax
      const select = createRouteSelector('${request.body.service}/${request.body.action}', [
        '$default',
        'chat/join',
      ]);
      expect(select('{"service":"chat","action":"join"}')).toBe('chat/join');
      expect(select('{"action":"join"}')).toBe('$default');
    });

    it('turns numbers and booleans into their text', () => {
      const select = createRouteSelector('$request.body.op', ['$default', '7', 'true']);
      expect(select('{"op":7}')).toBe('7');
      expect(select('{"op":true}')).toBe('true');
    });
  });

  describe('expression validation', () => {
    it('rejects expressions that do not read the body', () => {
      expect(() => parseRouteSelectionExpression('$request.header.x')).toThrow(RouteSelectionError);
      expect(() => parseRouteSelectionExpression('action')).toThrow(RouteSelectionError);
      expect(() => parseRouteSelectionExpression('$request.body.')).toThrow(RouteSelectionError);
    });
  });
});
